import { experimental_standaloneMiddleware } from "@trpc/server";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "../../db/errors";
import { problemToTRPCError } from "../../idempotency/adapters/trpc";
import { problem } from "../../problem";

/**
 * A database outage is a 503 problem over tRPC too (as over REST), not tRPC's default 500: a
 * client retries a 503 and stops on a 500.
 */
export const outage = experimental_standaloneMiddleware().create(async ({ next }) => {
  const result = await next();
  if (result.ok || !isDatabaseUnavailable(result.error.cause)) return result;
  const p = problem("database_unavailable", "The database is unavailable. Nothing was saved; retry.", {
    retryAfterSeconds: DatabaseUnavailableError.retryAfterSeconds,
  });
  return { ...result, error: problemToTRPCError(p) };
});
