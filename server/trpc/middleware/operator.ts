import { experimental_standaloneMiddleware } from "@trpc/server";
import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import type { Context } from "../context";

/** Operators only: a session cookie or the operator token as a bearer token (open in demo mode without one). */
export const operator = experimental_standaloneMiddleware<{ ctx: Context }>().create(async ({ ctx, next }) => {
  const access = await ctx.app.operators.authorize(ctx.headers);
  if (!access.ok) throw problemToTRPCError(access.problem);
  return next();
});
