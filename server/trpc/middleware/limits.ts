import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import { ProblemError } from "../../problem";
import type { Context } from "../context";

/**
 * Counts a call of an authenticated merchant against its rate; beyond it, a 429 tRPC error whose
 * problem carries `retryAfterSeconds`, and the response the same headers as REST's.
 */
export async function admit(ctx: Context, merchantId: string): Promise<void> {
  try {
    await ctx.app.limits.admit(merchantId);
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    Object.assign(ctx.limitHeaders, error.headers);
    const retryAfter = error.headers["retry-after"];
    throw problemToTRPCError(retryAfter ? { ...error.problem, retryAfterSeconds: Number(retryAfter) } : error.problem);
  }
}
