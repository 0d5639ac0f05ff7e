import { prisma } from "../../db/client";
import { keyTimeline, records, summary, timeseries } from "../../dashboard/queries";
import { keyTimelineInput, recordsInput, summaryInput } from "../../dashboard/schema";
import { publicProcedure, router } from "../init";

/**
 * The dashboard's reads. Public in this demo, where every merchant's key is public too; a real
 * deployment puts them behind operator authentication.
 */
export const dashboardRouter = router({
  summary: publicProcedure.input(summaryInput).query(async ({ input }) => summary(await prisma(), input.window, input.merchant)),
  timeseries: publicProcedure.input(summaryInput).query(async ({ input }) => timeseries(await prisma(), input.window, input.merchant)),
  records: publicProcedure.input(recordsInput).query(async ({ input }) => records(await prisma(), input)),
  keyTimeline: publicProcedure
    .input(keyTimelineInput)
    .query(async ({ input }) => keyTimeline(await prisma(), input.merchant, input.operation, input.key)),
});
