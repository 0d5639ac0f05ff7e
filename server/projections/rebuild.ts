import type { Logger } from "pino";
import { statement, type SqlPool } from "../db/sql";
import { applyToVersion, versionInbox, VersionState } from "./revenue";

// A leftover `building` version (a rebuild that died) is dropped: the new one starts from scratch.
const ABANDONED = statement("revenue_abandoned", `SELECT version FROM revenue_versions WHERE state = '${VersionState.Building}' FOR UPDATE`);
const OPEN = statement(
  "revenue_open",
  `INSERT INTO revenue_versions (version, state) SELECT coalesce(max(version), 0) + 1, '${VersionState.Building}' FROM revenue_versions RETURNING version`,
);
const LOCK_ALL = statement(
  "revenue_lock",
  `SELECT version, state FROM revenue_versions WHERE state IN ('${VersionState.Live}', '${VersionState.Building}') FOR UPDATE`,
);
const SWAP = statement(
  "revenue_swap",
  `UPDATE revenue_versions SET state = CASE WHEN version = $1::int THEN '${VersionState.Live}' ELSE '${VersionState.Retired}' END,
          swapped_at = CASE WHEN version = $1::int THEN now() ELSE swapped_at END
    WHERE state IN ('${VersionState.Live}', '${VersionState.Building}')`,
);
const RETIRED = statement("revenue_retired", `SELECT version FROM revenue_versions WHERE state = '${VersionState.Retired}' AND version < $1::int`);
const DROP_DAYS = statement("revenue_drop_days", "DELETE FROM revenue_daily WHERE version = $1::int");
const DROP_INBOX = statement("revenue_drop_inbox", "DELETE FROM consumer_inbox WHERE consumer = $1");
const RETIRE = statement("revenue_retire", `UPDATE revenue_versions SET state = '${VersionState.Retired}' WHERE version = $1::int`);

const ALL = Number.MAX_SAFE_INTEGER;

// Everything at or below it had committed when the rebuild began (see advanceSafePoint): only what
// lies above it can have committed late, below where the forward pass had reached.
const FLOOR = statement(
  "revenue_floor",
  `SELECT coalesce((SELECT sequence FROM events WHERE created_at < clock_timestamp() - $1::int * interval '1 second'
                    ORDER BY sequence DESC LIMIT 1), 0)::float8 AS floor`,
);

export interface RebuildReport {
  version: number;
  events: number;
  ms: number;
}

/**
 * Rebuilds the revenue projection into a new version while the live one keeps serving: every
 * event from sequence 0 is replayed into it a batch per transaction, the live consumer meanwhile
 * applies new events to both, then one transaction catches up what is left under the versions'
 * lock and makes the new version live. Readers see the old version or the new one, never a half.
 */
export async function rebuildRevenue(sql: SqlPool, options: { batch: number; graceSeconds: number; log: Logger }): Promise<RebuildReport> {
  const started = performance.now();
  const [{ floor } = { floor: 0 }] = await sql.rows<{ floor: number }>(FLOOR, [options.graceSeconds]);
  const version = await sql.transaction(async (tx) => {
    for (const { version: stale } of await tx.rows<{ version: number }>(ABANDONED)) {
      await tx.count(RETIRE, [stale]);
    }
    const [row] = await tx.rows<{ version: number }>(OPEN);
    if (!row) throw new Error("no projection version was opened");
    return row.version;
  });
  options.log.info({ version }, "projection rebuild started");
  let events = 0;
  // Forward by sequence, then again from the floor for what committed late below where it had reached.
  for (let after = 0; ;) {
    const step = await sql.transaction((tx) => applyToVersion(tx, version, { after, upto: ALL, limit: options.batch }));
    events += step.applied;
    if (step.last === null) break;
    after = step.last;
  }
  for (;;) {
    const step = await sql.transaction((tx) => applyToVersion(tx, version, { after: floor, upto: ALL, limit: options.batch }));
    events += step.applied;
    if (step.applied === 0) break;
  }
  events += await sql.transaction(async (tx) => {
    const locked = await tx.rows<{ version: number; state: string }>(LOCK_ALL);
    // A newer rebuild took this one's place (it retires a `building` version it finds): it swaps, not this.
    if (!locked.some((v) => v.version === version && v.state === VersionState.Building)) {
      throw new Error(`projection version ${version} was superseded by a newer rebuild`);
    }
    let applied = 0;
    for (;;) {
      const step = await applyToVersion(tx, version, { after: floor, upto: ALL, limit: options.batch });
      applied += step.applied;
      if (step.last === null) break;
    }
    await tx.count(SWAP, [version]);
    return applied;
  });
  // The old versions' rows go once nobody reads them: a read in flight started before the swap.
  for (const { version: old } of await sql.rows<{ version: number }>(RETIRED, [version])) {
    await sql.count(DROP_DAYS, [old]);
    await sql.count(DROP_INBOX, [versionInbox(old)]);
  }
  const report = { version, events, ms: Math.round(performance.now() - started) };
  options.log.info(report, "projection rebuilt and swapped");
  return report;
}
