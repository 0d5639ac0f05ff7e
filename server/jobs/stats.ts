import { z } from "zod";
import { statement, type Sql } from "../db/sql";

export const jobStatsSchema = z.object({
  name: z.string(),
  /** The instance running it now (its lease alive), or null. */
  holder: z.string().nullable(),
  runs: z.number(),
  failures: z.number(),
  lastFinishedAt: z.string().nullable(),
  lastError: z.string().nullable(),
  /** What its runs did, summed (rows deleted per table, payments settled…). */
  totals: z.record(z.string(), z.number()),
});
export type JobStats = z.infer<typeof jobStatsSchema>;

const JOBS = statement(
  "jobs_stats",
  `SELECT name, CASE WHEN lease_until > now() THEN lease_owner END AS holder, runs::float8 AS runs, failures::float8 AS failures,
          last_finished_at AS "lastFinishedAt", last_error AS "lastError", totals
     FROM jobs ORDER BY name`,
);

/** Every scheduled job, as the dashboard shows it. The figures reach the row with the holder's lease renewals (a few seconds behind). */
export async function jobStats(sql: Sql): Promise<JobStats[]> {
  const rows = await sql.rows<Omit<JobStats, "lastFinishedAt"> & { lastFinishedAt: Date | null }>(JOBS);
  return rows.map((row) => jobStatsSchema.parse({ ...row, lastFinishedAt: row.lastFinishedAt?.toISOString() ?? null }));
}
