import { CapacityError, ConflictError, ContentionError, IdempotencyError, MismatchError, StoreError } from "./errors.js";
import { problem, ProblemError, type Problem } from "./problem.js";

/** How one idempotent call ended, as logs, metrics and histories name it. */
export type Outcome = "executed" | "replayed" | "conflict" | "mismatch" | "rejected" | "failed";

/** A failure as the client sees it: its problem, the headers that go with it, and how the call ended. */
export interface MappedError {
  problem: Problem;
  headers: Record<string, string>;
  outcome: Outcome;
  /** Nobody expected it: worth an error-level log with the stack. */
  unexpected: boolean;
}

/** An app's own mapping, asked first: undefined leaves the error to `mapError`. */
export type ErrorMapper = (error: unknown) => MappedError | undefined;

/**
 * Every failure of a call as the problem a client sees: ProblemErrors as they are, the engine's
 * errors as 409, 422, 429 and 503, anything else a 500. `own` maps an app's errors first.
 */
export function mapError(error: unknown, own?: ErrorMapper): MappedError {
  const mine = own?.(error);
  if (mine) return mine;
  if (error instanceof ProblemError) {
    const status = error.problem.status;
    return { problem: error.problem, headers: error.headers, outcome: status < 500 ? "rejected" : "failed", unexpected: false };
  }
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
  if (error instanceof CapacityError) {
    return {
      problem: problem("too_many_in_flight", `${error.message}: nothing was saved under it.`, { idempotencyKey: error.key }),
      headers: { "retry-after": String(error.retryAfterSeconds) },
      outcome: "rejected",
      unexpected: false,
    };
  }
  if (error instanceof ContentionError) return failed(problem("idempotency_contention", error.message), { "retry-after": "1" });
  if (error instanceof StoreError) {
    return failed(problem("idempotency_store_unavailable", "The idempotency store is unavailable. Nothing was saved; retry with the same key."), {
      "retry-after": "1",
    });
  }
  if (error instanceof IdempotencyError) return internal(error.message);
  return internal("An unexpected error occurred. Retry with the same key.");
}

function failed(p: Problem, headers: Record<string, string> = {}): MappedError {
  return { problem: p, headers, outcome: "failed", unexpected: false };
}

function internal(detail: string): MappedError {
  return { problem: problem("internal_error", detail), headers: {}, outcome: "failed", unexpected: true };
}
