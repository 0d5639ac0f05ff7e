import { z } from "zod";
import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import { problem } from "../../problem";
import { webhookChaos, webhookChaosSchema } from "../../provider/chaos";
import { operatorProcedure, router } from "../init";

/** The toggle's state, and whether this server lets it be switched (FAULT_INJECTION). */
const chaosStateSchema = z.intersection(webhookChaosSchema, z.object({ faultInjection: z.boolean() }));

/**
 * The provider simulator's dev toggles, for the dashboard. For operators, like the dashboard;
 * switching is refused unless FAULT_INJECTION is on, as for every other injected fault.
 */
export const simulatorRouter = router({
  /** Webhook chaos mode: duplicates, concurrent and shuffled deliveries. */
  chaos: operatorProcedure
    .output(chaosStateSchema)
    .query(async ({ ctx }) => ({ ...(await webhookChaos(ctx.app.config.PROVIDER_URL)), faultInjection: ctx.app.config.FAULT_INJECTION })),
  setChaos: operatorProcedure
    .input(z.object({ enabled: z.boolean() }))
    .output(chaosStateSchema)
    .mutation(async ({ ctx, input }) => {
      if (!ctx.app.config.FAULT_INJECTION) throw problemToTRPCError(problem("forbidden", "Webhook chaos can be switched only with FAULT_INJECTION on."));
      return { ...(await webhookChaos(ctx.app.config.PROVIDER_URL, input.enabled)), faultInjection: ctx.app.config.FAULT_INJECTION };
    }),
});
