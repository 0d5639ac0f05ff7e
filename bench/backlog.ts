import { sleep } from "../fixtures";
import { statement, type Sql } from "../server/db/sql";

// How far the slowest consumer is behind the newest event: the backlog a load leaves behind.
const BACKLOG = statement(
  "bench_backlog",
  "SELECT (coalesce((SELECT max(sequence) FROM events), 0) - coalesce((SELECT min(watermark) FROM consumer_state), 0))::int AS n",
);

/**
 * Resolves once the consumers have applied every event (or after `timeoutMs`): a load started
 * earlier would share the machine with the previous load's events and read as its own cost.
 */
export async function drained(sql: Sql, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const [row] = await sql.rows<{ n: number }>(BACKLOG);
    if ((row?.n ?? 0) <= 0) return;
    await sleep(250);
  }
}
