import type { CallResult } from "../../calls/call";
import { problemResponse } from "../../rest/respond";
import { idempotencyKeyFromHeader } from "./key-header";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
const VISIBLE_ASCII = /^[\x21-\x7e]{1,1024}$/;

/** The `Idempotency-Key` header, bare or as an RFC 8941 String; a ProblemError (400) when missing or malformed. */
export function idempotencyKeyFrom(headers: Headers): string {
  return idempotencyKeyFromHeader(headers.get(IDEMPOTENCY_KEY_HEADER));
}

/**
 * A call's result in HTTP: the stored status, headers and body byte for byte, plus
 * `Idempotent-Replayed: true` for a duplicate; a problem nothing was stored for as problem+json.
 * `extra` headers belong to this answer only (`Preference-Applied`), never to what is stored.
 */
export function toResponse(result: CallResult, extra: Record<string, string> = {}): Response {
  if (!("response" in result)) return problemResponse(result.problem, { ...result.headers, ...extra });
  const headers = new Headers({ ...result.response.headers, ...extra });
  // Every caller validates its key first (key-header.ts, the webhook's event id); this answer comes
  // after the commit, where a key a header cannot carry would throw: then the header is left out.
  if (VISIBLE_ASCII.test(result.key)) headers.set(IDEMPOTENCY_KEY_HEADER, result.key);
  if (result.outcome === "replayed") headers.set(REPLAYED_HEADER, "true");
  return new Response(result.response.body, { status: result.response.status, headers });
}
