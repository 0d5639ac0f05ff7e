/**
 * RFC 9457 problem details: the one error shape the adapters answer with, over HTTP as
 * `application/problem+json` and inside tRPC errors. `code` is the stable, machine-readable part;
 * `detail` is for people.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

/** The problems this package answers with itself; an app adds its own beside them. */
export const IDEMPOTENCY_PROBLEMS = {
  idempotency_key_missing: { status: 400, title: "Idempotency-Key header required" },
  idempotency_key_invalid: { status: 400, title: "Invalid Idempotency-Key" },
  invalid_json: { status: 400, title: "Request body is not valid JSON" },
  validation_failed: { status: 400, title: "Request validation failed" },
  payload_too_large: { status: 413, title: "Request body too large" },
  idempotency_key_in_use: { status: 409, title: "Request in progress" },
  idempotency_key_reused: { status: 422, title: "Idempotency key reused with a different request" },
  too_many_in_flight: { status: 429, title: "Too many requests in flight" },
  internal_error: { status: 500, title: "Internal server error" },
  idempotency_store_unavailable: { status: 503, title: "Idempotency store unavailable" },
  idempotency_contention: { status: 503, title: "Idempotency key contention" },
} as const satisfies Record<string, { status: number; title: string }>;

export type IdempotencyProblemCode = keyof typeof IDEMPOTENCY_PROBLEMS;

/** Where problem types live: `https://oncepay.dev/problems/idempotency-key-in-use`, say. */
export function problemType(code: string): string {
  return `https://oncepay.dev/problems/${code.replaceAll("_", "-")}`;
}

/** A problem of this package's own. */
export function problem(code: IdempotencyProblemCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = IDEMPOTENCY_PROBLEMS[code];
  return { type: problemType(code), title, status, detail, code, ...extensions };
}

/** An error that already knows its problem (a 400 for a malformed key, say): thrown by parsers, answered by adapters. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    /** Headers that belong with the answer (`Retry-After`, say). */
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
    this.name = "ProblemError";
  }
}

/** Field errors in a stable shape: `[{ path: "amount", message: "…" }]`. */
export function fieldErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): { path: string; message: string }[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join(".") || "(body)", message: issue.message }));
}

/** A schema's refusal as a 400 `validation_failed`, its field errors listed in `errors`. */
export function validationProblem(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }, what = "The request"): ProblemError {
  const errors = fieldErrors(error.issues);
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  return new ProblemError(problem("validation_failed", `${what} is invalid: ${summary}`, { errors }));
}
