import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ZodError, type z } from "zod";
import type { CallResult, ProblemResult } from "../../calls/call";
import { ProblemError, type Problem } from "../../problem";
import { validationProblem } from "../../rest/respond";
import { idempotencyKeySchema } from "../key";

const CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  402: "PAYMENT_REQUIRED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT",
};

/** A problem as a tRPC error; the error formatter puts the problem back in `error.data.problem`. */
export function problemToTRPCError(p: Problem): TRPCError {
  const code = CODE_BY_STATUS[p.status] ?? (p.status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR");
  return new TRPCError({ code, message: p.detail, cause: new ProblemError(p) });
}

/** A tRPC error as the problem it stands for (an input its schema refused is a validation problem). */
export function problemErrorOf(error: TRPCError): unknown {
  if (error.cause instanceof ProblemError) return error.cause;
  if (error.cause instanceof ZodError) return validationProblem(error.cause, "The input");
  return error.cause ?? error;
}

/** The key of a call, from its raw input: the key travels per call, never per HTTP batch. */
export function idempotencyKeyFromInput(raw: unknown): string {
  const value = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>).idempotencyKey : undefined;
  if (value === undefined) throw ProblemError.of("idempotency_key_missing", "idempotencyKey is required for this mutation.");
  const parsed = idempotencyKeySchema.safeParse(value);
  if (!parsed.success) {
    throw ProblemError.of("idempotency_key_invalid", parsed.error.issues[0]?.message ?? "Invalid idempotencyKey");
  }
  return parsed.data;
}

/** A result that stored nothing, as the tRPC error it is answered with (`Retry-After` in the problem). */
export function problemOf(result: ProblemResult): TRPCError {
  const retryAfter = result.headers["retry-after"];
  return problemToTRPCError(retryAfter ? { ...result.problem, retryAfterSeconds: Number(retryAfter) } : result.problem);
}

export type Idempotent<T> = T & { idempotentReplayed: boolean };

/**
 * A call's result the tRPC way: a stored 2xx becomes the data (with `idempotentReplayed`), a stored
 * failure (a decline) or a problem becomes a tRPC error carrying the problem. A key used over REST
 * and over tRPC is one key: both read the same stored response.
 */
export function fromCallResult<T>(result: CallResult, output: z.ZodType<T>): Idempotent<T> {
  if (!("response" in result)) throw problemOf(result);
  const replayed = result.outcome === "replayed";
  const body: unknown = JSON.parse(result.response.body);
  if (result.response.status >= 300) throw problemToTRPCError({ ...(body as Problem), idempotentReplayed: replayed });
  return { ...output.parse(body), idempotentReplayed: replayed };
}
