import { provider, records, summary, timeseries } from "../../dashboard/queries";
import { keyTimelineInput, providerInput, providerSummarySchema, recordsInput, summaryInput } from "../../dashboard/schema";
import { keyTimeline, keyTimelineSchema } from "../../dashboard/timeline";
import { z } from "zod";
import { jobStats, jobStatsSchema } from "../../jobs/stats";
import { operatorProcedure, router } from "../init";

/** The dashboard's reads: every merchant's request history and records, so for operators only. */
export const dashboardRouter = router({
  summary: operatorProcedure.input(summaryInput).query(({ ctx, input }) => summary(ctx.app.db.sql, input.window, input.merchant)),
  timeseries: operatorProcedure.input(summaryInput).query(({ ctx, input }) => timeseries(ctx.app.db.sql, input.window, input.merchant)),
  /** The provider's webhooks: received, applied, duplicates dropped, changed nothing (by note), rejected signatures; refunds by origin. */
  provider: operatorProcedure
    .input(providerInput)
    .output(providerSummarySchema)
    .query(({ ctx, input }) => provider(ctx.app.db.sql, input.window)),
  records: operatorProcedure.input(recordsInput).query(({ ctx, input }) => records(ctx.app.db.sql, input)),
  /** The scheduled jobs: who runs each, its runs and failures, and what it did (the cleanup's rows deleted per table). */
  jobs: operatorProcedure.output(z.array(jobStatsSchema)).query(({ ctx }) => jobStats(ctx.app.db.sql)),
  /** A key's record and requests: its recovery points, the executions resumed from them, and completer runs. */
  keyTimeline: operatorProcedure
    .input(keyTimelineInput)
    .output(keyTimelineSchema)
    .query(({ ctx, input }) => keyTimeline(ctx.app.db.sql, input.merchant, input.operation, input.key)),
});
