import { idempotentMiddleware } from "@oncepay/idempotency/trpc";
import type { Merchant } from "../../auth/merchant";
import type { Sql } from "../../db/sql";
import { withFault } from "../../faults";
import type { Context } from "../context";

/**
 * Gives the resolver `ctx.call`, which runs its call through the pipeline with the key of this
 * call's own input (the key travels per call, never per HTTP batch), the merchant as its scope and
 * the demo's simulated failure applied at this edge. What the handler answers with (Idempotent-Replayed,
 * Preference-Applied) is gathered on the context.
 */
export const idempotent = idempotentMiddleware<Context & { merchant: Merchant }, Sql>({
  pipeline: (ctx) => ctx.app.calls,
  scope: (ctx) => ctx.merchant.id,
  headers: (ctx) => ctx.headers,
  requestId: (ctx) => ctx.requestId,
  wrap: (call, ctx) => withFault(call, () => ctx.headers.get("simulate-failure"), ctx.app.config.FAULT_INJECTION),
  onResult: (result, ctx, applied) => {
    if (result.outcome === "replayed") ctx.replays.count++;
    ctx.preferenceApplied.value ??= applied;
  },
});
