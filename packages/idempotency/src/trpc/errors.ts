import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ProblemError, validationProblem, type Problem } from "../problem.js";

const CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  402: "PAYMENT_REQUIRED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT",
};

/** A problem as a tRPC error; `problemOfError` (in the error formatter) gives the problem back. */
export function problemToTRPCError(p: Problem): TRPCError {
  const code = CODE_BY_STATUS[p.status] ?? (p.status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR");
  return new TRPCError({ code, message: p.detail, cause: new ProblemError(p) });
}

/** A schema's refusal, duck-typed so that any copy of zod (or another validator with `issues`) is one. */
function isSchemaError(error: unknown): error is Error & { issues: { path: PropertyKey[]; message: string }[] } {
  return error instanceof Error && error.name === "ZodError" && Array.isArray((error as { issues?: unknown }).issues);
}

/** What a tRPC error stands for, to be mapped as any failure is (an input its schema refused is a 400). */
export function causeOf(error: TRPCError): unknown {
  if (error.cause instanceof ProblemError) return error.cause;
  if (isSchemaError(error.cause)) return validationProblem(error.cause, "The input");
  return error.cause ?? error;
}

/**
 * The problem a tRPC error carries, for an `errorFormatter` to put in `shape.data.problem`: the
 * REST answer's document, the same whichever protocol asks. Undefined for errors with none.
 */
export function problemOfError(error: TRPCError): Problem | undefined {
  const cause = causeOf(error);
  return cause instanceof ProblemError ? cause.problem : undefined;
}
