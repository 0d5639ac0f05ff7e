import { experimental_standaloneMiddleware } from "@trpc/server";
import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import { mapError } from "../../map-error";
import { ProblemError } from "../../problem";

/**
 * A database outage is a 503 problem over tRPC too (as over REST, through the same `mapError`),
 * not tRPC's default 500: a client retries a 503 and stops on a 500.
 */
export const outage = experimental_standaloneMiddleware().create(async ({ next }) => {
  const result = await next();
  // A problem already made (a call's 503, with its Retry-After) is answered as it is.
  if (result.ok || result.error.cause instanceof ProblemError) return result;
  const mapped = mapError(result.error.cause);
  if (mapped.problem.code !== "database_unavailable") return result;
  return { ...result, error: problemToTRPCError({ ...mapped.problem, retryAfterSeconds: Number(mapped.headers["retry-after"]) }) };
});
