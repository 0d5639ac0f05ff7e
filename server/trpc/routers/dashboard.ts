import { provider, records, summary, timeseries } from "../../dashboard/queries";
import { keyTimelineInput, providerInput, providerSummarySchema, recordsInput, summaryInput } from "../../dashboard/schema";
import { keyTimeline, keyTimelineSchema } from "../../payments/timeline";
import { z } from "zod";
import { jobStats, jobStatsSchema } from "../../jobs/stats";
import { publicProcedure, router } from "../init";

/**
 * The dashboard's reads. Public in this demo, where every merchant's key is public too; a real
 * deployment puts them behind operator authentication.
 */
export const dashboardRouter = router({
  summary: publicProcedure.input(summaryInput).query(({ ctx, input }) => summary(ctx.db.prisma, input.window, input.merchant)),
  timeseries: publicProcedure.input(summaryInput).query(({ ctx, input }) => timeseries(ctx.db.prisma, input.window, input.merchant)),
  /** The provider's webhooks: received, applied, duplicates dropped, changed nothing (by note), rejected signatures; refunds by origin. */
  provider: publicProcedure
    .input(providerInput)
    .output(providerSummarySchema)
    .query(({ ctx, input }) => provider(ctx.db.sql, input.window)),
  records: publicProcedure.input(recordsInput).query(({ ctx, input }) => records(ctx.db.prisma, input)),
  /** The scheduled jobs: who runs each, its runs and failures, and what it did (the cleanup's rows deleted per table). */
  jobs: publicProcedure.output(z.array(jobStatsSchema)).query(({ ctx }) => jobStats(ctx.db.sql)),
  /** A key's record and requests: its recovery points, the executions resumed from them, and completer runs. */
  keyTimeline: publicProcedure
    .input(keyTimelineInput)
    .output(keyTimelineSchema)
    .query(({ ctx, input }) => keyTimeline(ctx.db.sql, input.merchant, input.operation, input.key)),
});
