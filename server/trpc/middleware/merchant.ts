import { experimental_standaloneMiddleware } from "@trpc/server";
import { requireAccess } from "../../auth/merchant";
import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import { ProblemError } from "../../problem";
import type { Context } from "../context";
import { admit } from "./limits";

/**
 * Puts the merchant of the API key on the context, or answers as the REST API would: 401, 429
 * after too many failures from the address, 403 `secret_key_required` for a publishable key unless
 * `publishable` (the checkout's procedures).
 */
export const merchant = (access: { publishable?: boolean } = {}) =>
  experimental_standaloneMiddleware<{ ctx: Context }>().create(async ({ ctx, next }) => {
    let found;
    try {
      found = requireAccess(await ctx.app.auth.authenticate(ctx.headers.get("authorization"), ctx.clientAddress), access);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      throw problemToTRPCError(error.problem);
    }
    await admit(ctx, found.id);
    return next({ ctx: { merchant: found } });
  });
