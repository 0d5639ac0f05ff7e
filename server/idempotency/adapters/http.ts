import type { CallResult } from "../../calls/call";
import { ProblemError } from "../../problem";
import { problemResponse } from "../../rest/respond";
import { idempotencyKeySchema } from "../key";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** The `Idempotency-Key` header, validated; a ProblemError (400) when missing or malformed. */
export function idempotencyKeyFrom(headers: Headers): string {
  const raw = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (raw === null) {
    throw ProblemError.of("idempotency_key_missing", `The ${IDEMPOTENCY_KEY_HEADER} header is required for this request.`);
  }
  const parsed = idempotencyKeySchema.safeParse(raw);
  if (!parsed.success) {
    throw ProblemError.of("idempotency_key_invalid", parsed.error.issues[0]?.message ?? "Invalid Idempotency-Key");
  }
  return parsed.data;
}

/**
 * A call's result in HTTP: the stored status, headers and body byte for byte, plus
 * `Idempotent-Replayed: true` for a duplicate; a problem nothing was stored for as problem+json.
 */
export function toResponse(result: CallResult): Response {
  if (!("response" in result)) return problemResponse(result.problem, result.headers);
  const headers = new Headers(result.response.headers);
  headers.set(IDEMPOTENCY_KEY_HEADER, result.key);
  if (result.outcome === "replayed") headers.set(REPLAYED_HEADER, "true");
  return new Response(result.response.body, { status: result.response.status, headers });
}
