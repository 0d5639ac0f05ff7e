import { z } from "zod";
import { eventsSummary, eventsSummarySchema } from "../../events/stats";
import { rebuildRevenue } from "../../projections/rebuild";
import { liveRevenue } from "../../projections/revenue";
import { revenueStats, revenueStatsSchema } from "../../projections/stats";
import { text } from "../../text";
import { operatorProcedure, router } from "../init";

const revenueDaySchema = z.object({
  merchant: z.string(),
  currency: z.string(),
  day: z.string(),
  gross: z.number(),
  refunds: z.number(),
  disputes: z.number(),
  net: z.number(),
  count: z.number(),
});

/**
 * The event path for the dashboard and the operator commands (`npm run events:replay`,
 * `npm run projections:rebuild` reach the embedded database through these, with the operator token). Both commands are safe to repeat: consumers shrug, a rebuild swaps whole.
 */
export const eventsRouter = router({
  /** The event path and the revenue projection, for every consumer the app was composed with. */
  summary: operatorProcedure.output(eventsSummarySchema.extend({ revenue: revenueStatsSchema })).query(async ({ ctx }) => ({
    ...(await eventsSummary(ctx.app.db.sql, ctx.app.events.mode, ctx.app.events.names)),
    revenue: await revenueStats(ctx.app.db.sql),
  })),
  /** The live revenue projection, per merchant, currency and day. */
  revenue: operatorProcedure
    .input(z.object({ merchant: text().max(64).optional(), days: z.number().int().min(1).max(366).default(30) }))
    .output(z.array(revenueDaySchema))
    .query(({ ctx, input }) => liveRevenue(ctx.app.db.sql, input.merchant ?? null, input.days)),
  replay: operatorProcedure
    .input(z.object({ from: z.number().int().min(0) }))
    .output(z.object({ events: z.number(), mode: z.enum(["jetstream", "outbox"]) }))
    .mutation(({ ctx, input }) => ctx.app.events.replay(input.from)),
  rebuild: operatorProcedure
    .output(z.object({ version: z.number(), events: z.number(), ms: z.number() }))
    .mutation(({ ctx }) => rebuildRevenue(ctx.app.db.sql, { batch: 1000, graceSeconds: ctx.app.events.graceSeconds, log: ctx.log })),
});
