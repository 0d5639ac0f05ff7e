import type { Outcome } from "../../observability/metrics";
import { problemResponse } from "../../http/respond";
import { problem } from "../../problem";
import type { IdempotencyEngine, RunRequest } from "../engine";
import { idempotencyKeyFromHeader } from "./key-header";
import type { StoredResponse } from "../record";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** The `Idempotency-Key` header, bare or as an RFC 8941 String; a ProblemError (400) when missing or malformed. */
export function idempotencyKeyFrom(headers: Headers): string {
  return idempotencyKeyFromHeader(headers.get(IDEMPOTENCY_KEY_HEADER));
}

export interface HttpRunOptions {
  /** Answer a fresh execution with a gateway error instead (the simulated lost response). */
  withholdResponse?: boolean;
}

/**
 * Runs `request` through the engine and answers in HTTP: the stored status, headers and body
 * byte for byte, plus `Idempotent-Replayed: true` for a duplicate. Engine errors propagate.
 */
export async function runHttp<Tx>(
  engine: IdempotencyEngine<Tx>,
  request: RunRequest<Tx>,
  options: HttpRunOptions = {},
): Promise<{ response: Response; outcome: Outcome }> {
  const result = await engine.run(request);
  if (result.outcome === "executed" && options.withholdResponse) {
    // Still an execution (it committed): only its answer is lost.
    const lost = problem("simulated_lost_response", "The payment committed but its response was withheld (Simulate-Failure: lost-response). Retry with the same key to get it.");
    return { response: problemResponse(lost), outcome: "executed" };
  }
  const extra: Record<string, string> = { [IDEMPOTENCY_KEY_HEADER]: request.key };
  if (result.outcome === "replayed") extra[REPLAYED_HEADER] = "true";
  return { response: storedResponse(result.response, extra), outcome: result.outcome };
}

function storedResponse(stored: StoredResponse, extra: Record<string, string>): Response {
  const headers = new Headers(stored.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(stored.body, { status: stored.status, headers });
}
