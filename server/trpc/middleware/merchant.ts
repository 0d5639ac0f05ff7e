import { experimental_standaloneMiddleware } from "@trpc/server";
import { problemToTRPCError } from "../../idempotency/adapters/trpc";
import { problem } from "../../problem";
import type { Context } from "../context";
import { admit } from "./limits";

/** Puts the merchant of the API key on the context, or answers 401. */
export const merchant = experimental_standaloneMiddleware<{ ctx: Context }>().create(async ({ ctx, next }) => {
  const found = await ctx.auth.authenticate(ctx.headers.get("authorization"));
  if (!found) {
    throw problemToTRPCError(problem("unauthorized", "A valid API key is required: Authorization: Bearer <api key>."));
  }
  await admit(ctx, found.id);
  return next({ ctx: { merchant: found } });
});
