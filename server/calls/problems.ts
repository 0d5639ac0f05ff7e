import { SimulatedFailure } from "../faults";
import { ConflictError, ContentionError, IdempotencyError, MismatchError, StoreError } from "../idempotency/errors";
import { problem, ProblemError, type Problem } from "../problem";
import type { Outcome } from "./call";

export interface MappedError {
  problem: Problem;
  headers: Record<string, string>;
  outcome: Outcome;
  /** Unexpected: worth an error-level log with the stack. */
  unexpected: boolean;
}

/** Every failure of a call, as the problem a client sees, whichever way the call came in. */
export function mapError(error: unknown): MappedError {
  if (error instanceof ProblemError) {
    const status = error.problem.status;
    return { problem: error.problem, headers: error.headers, outcome: status < 500 ? "rejected" : "failed", unexpected: false };
  }
  if (error instanceof IdempotencyError) return mapEngineError(error);
  if (error instanceof SimulatedFailure) {
    return failed(problem("simulated_failure", "The server failed before committing (Simulate-Failure: fail-before-commit). Nothing was saved; retry with the same key."));
  }
  if (isDatabaseUnavailable(error)) {
    return failed(problem("database_unavailable", "The database is unavailable. Nothing was saved; retry with the same key."));
  }
  return { ...failed(problem("internal_error", "An unexpected error occurred. Retry with the same key.")), unexpected: true };
}

function mapEngineError(error: IdempotencyError): MappedError {
  if (error instanceof ConflictError) {
    return {
      problem: problem("idempotency_key_in_use", error.message + "; retry after it finishes.", { idempotencyKey: error.key }),
      headers: { "retry-after": String(error.retryAfterSeconds) },
      outcome: "conflict",
      unexpected: false,
    };
  }
  if (error instanceof MismatchError) {
    return {
      problem: problem("idempotency_key_reused", error.message + "; use a new key for a new request.", { idempotencyKey: error.key }),
      headers: {},
      outcome: "mismatch",
      unexpected: false,
    };
  }
  if (error instanceof StoreError) {
    return failed(problem("database_unavailable", "The database is unavailable. Nothing was saved; retry with the same key."));
  }
  if (error instanceof ContentionError) {
    return { ...failed(problem("idempotency_contention", error.message)), headers: { "retry-after": "1" } };
  }
  return { ...failed(problem("internal_error", error.message)), unexpected: true };
}

function failed(p: Problem): MappedError {
  return { problem: p, headers: {}, outcome: "failed", unexpected: false };
}

/** Connection-level database failures (refused, reset, pool timeout), as opposed to bugs. */
function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[1-3]|08\d{3}|P1001|P1002|P1017|P2024)$/.test(code)) return true;
    if (/PrismaClientInitializationError|DriverAdapterError/.test(e.name) && /connect|connection|terminat|timed out/i.test(e.message)) return true;
    if (/Can't reach database|Connection terminated|connect ECONNREFUSED|Timed out fetching a new connection/i.test(e.message)) return true;
  }
  return false;
}
