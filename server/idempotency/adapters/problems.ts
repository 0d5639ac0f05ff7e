import { DatabaseUnavailableError, isDatabaseUnavailable } from "../../db/errors";
import type { Outcome } from "../../observability/metrics";
import { SimulatedFailure } from "../../faults";
import { problem, ProblemError, type Problem } from "../../problem";
import { ConflictError, ContentionError, IdempotencyError, MismatchError } from "../errors";

export interface MappedError {
  problem: Problem;
  headers: Record<string, string>;
  outcome: Outcome;
  /** Unexpected: worth an error-level log with the stack. */
  unexpected: boolean;
}

/** Every failure of an idempotent request, as the problem a client sees; shared by REST and tRPC. */
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
    return {
      ...failed(problem("database_unavailable", "The database is unavailable. Nothing was saved; retry with the same key.")),
      headers: { "retry-after": String(DatabaseUnavailableError.retryAfterSeconds) },
    };
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
  if (error instanceof ContentionError) {
    return { ...failed(problem("idempotency_contention", error.message)), headers: { "retry-after": "1" } };
  }
  return { ...failed(problem("internal_error", error.message)), unexpected: true };
}

function failed(p: Problem): MappedError {
  return { problem: p, headers: {}, outcome: "failed", unexpected: false };
}
