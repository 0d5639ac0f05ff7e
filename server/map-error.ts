import { mapError as mapAny, type MappedError, StoreError } from "@oncepay/idempotency";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "./db/errors";
import { SimulatedFailure } from "./faults";
import { problem, type Problem } from "./problem";
import { ProviderUnavailableError } from "./provider/provider";

/**
 * The app's own failures as problems, asked before the package's mapping (which knows ProblemError
 * and the engine's errors): the pipeline is given this, and everything else maps through `mapError`.
 */
export function appErrors(error: unknown): MappedError | undefined {
  if (isUnstorableText(error)) {
    return {
      problem: problem("validation_failed", "The request holds a character that cannot be stored (a NUL, \\u0000, or invalid UTF-8)."),
      headers: {},
      outcome: "rejected",
      unexpected: false,
    };
  }
  // The store's one error: an outage when what it wraps is one, else a bug in the store.
  if (error instanceof StoreError) return isDatabaseUnavailable(error.cause) ? unavailable() : internal(error.message);
  if (error instanceof SimulatedFailure) {
    return failed(
      problem("simulated_failure", "The server failed before committing (Simulate-Failure: fail-before-commit). Nothing was saved; retry with the same key."),
    );
  }
  if (error instanceof ProviderUnavailableError) {
    return {
      ...failed({
        ...problem(
          "provider_unavailable",
          `${error.message}: the charge's outcome is unknown. Nothing was stored under the key; retry with the same key to finish it without charging twice.`,
        ),
        status: error.status,
      }),
      headers: { "retry-after": String(ProviderUnavailableError.retryAfterSeconds) },
    };
  }
  if (isDatabaseUnavailable(error)) return unavailable();
  if (isClientAbort(error)) {
    return {
      problem: problem("client_closed_request", "The client went away before its request was read."),
      headers: {},
      outcome: "rejected",
      unexpected: false,
    };
  }
  return undefined;
}

/** Every failure, whichever way it came in, as the problem a client sees: the app's first, then the package's. */
export function mapError(error: unknown): MappedError {
  return mapAny(error, appErrors);
}

/**
 * PostgreSQL's refusal of text it cannot hold: 22021 (a NUL, or bytes that are not UTF-8) and 22P05
 * (`\u0000` in jsonb). Inputs are checked for control characters first (server/text.ts); this is the
 * backstop for any text that reaches a query unchecked (an id in a path, say): a 400, never a 500.
 */
function isUnstorableText(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "22021" || code === "22P05") return true;
  }
  return false;
}

/**
 * The client closed its connection while its body was being read (a reload, a timeout of its own):
 * Node's `abortIncoming`, raised through `request.text()` or tRPC's body reader. Nothing was read,
 * so nothing ran; not a failure of ours.
 */
function isClientAbort(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.message === "aborted" && (e as NodeJS.ErrnoException).code === "ECONNRESET" && !(e as NodeJS.ErrnoException).syscall) return true;
  }
  return false;
}

function unavailable(): MappedError {
  return {
    ...failed(problem("database_unavailable", "The database is unavailable. Nothing was saved; retry with the same key.")),
    headers: { "retry-after": String(DatabaseUnavailableError.retryAfterSeconds) },
  };
}

function internal(detail: string): MappedError {
  return { ...failed(problem("internal_error", detail)), unexpected: true };
}

function failed(p: Problem): MappedError {
  return { problem: p, headers: {}, outcome: "failed", unexpected: false };
}
