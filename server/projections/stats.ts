import { z } from "zod";
import { statement, type Sql } from "../db/sql";
import { inboxLag } from "../events/stats";
import { REVENUE, versionInbox, VersionState } from "./revenue";

export const revenueStatsSchema = z.object({ version: z.number(), building: z.number().nullable(), lagEvents: z.number(), lagSeconds: z.number() });
export type RevenueStats = z.infer<typeof revenueStatsSchema>;

const VERSIONS = statement("events_revenue_versions", `SELECT version, state FROM revenue_versions WHERE state <> '${VersionState.Retired}' ORDER BY version`);

/** The revenue projection at a glance: its live version, one being rebuilt, and how far the live one is behind. */
export async function revenueStats(sql: Sql): Promise<RevenueStats> {
  const versions = await sql.rows<{ version: number; state: string }>(VERSIONS);
  const live = versions.find((v) => v.state === VersionState.Live)?.version ?? 0;
  const building = versions.find((v) => v.state === VersionState.Building)?.version ?? null;
  // The live version's own inbox says what the dashboard's chart holds; its lag is the consumer's
  // safe point on, like the consumer's.
  return { version: live, building, ...(await inboxLag(sql, versionInbox(live), REVENUE)) };
}
