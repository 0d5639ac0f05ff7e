import { initTRPC } from "@trpc/server";
import { idempotentMiddleware, problemOfError, type IdempotentMeta } from "@oncepay/idempotency/trpc";
import type { SqlRunner } from "@oncepay/idempotency/postgres";
import type { Context } from "./context";

const t = initTRPC
  .context<Context>()
  .meta<IdempotentMeta>()
  .create({
    // Every error carries the RFC 9457 problem document a REST answer would have, in `data.problem`.
    errorFormatter({ shape, error }) {
      return { ...shape, data: { ...shape.data, problem: problemOfError(error) ?? null } };
    },
  });

const idempotent = idempotentMiddleware<Context, SqlRunner>({
  pipeline: (ctx) => ctx.pipeline,
  // Whose key it is: a signed-in user's id in a real app; keys of different scopes never meet.
  scope: () => "demo",
  // For `Prefer: wait=N`: a duplicate in flight waits for the original instead of a 409.
  headers: (ctx) => ctx.headers,
  onResult: (_result, ctx, applied) => {
    if (applied) ctx.resHeaders.set("preference-applied", applied);
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;
/** For mutations that run at most once per key: the resolver hands its effect to `ctx.call`. */
export const idempotentProcedure = t.procedure.use(idempotent);
