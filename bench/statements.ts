/**
 * `npm run bench:statements`: the app's longest legitimate statements against the statement bound
 * (DATABASE_STATEMENT_TIMEOUT_MS, server/db/bounds.ts), on a scratch PostgreSQL database filled with
 * a week of synthetic history: the dashboard's reads, the events panel, the outbox's safe point, a
 * page of payments, and the request log's prune. Each read runs three times through a pool with the
 * app's default bounds; a read the bound cancels shows as `503`.
 */
import { connect } from "../server/db/client";
import { DEFAULT_BOUNDS } from "../server/db/bounds";
import { isDatabaseUnavailable } from "../server/db/errors";
import { statement } from "../server/db/sql";
import { provider, records, summary, timeseries } from "../server/dashboard/queries";
import { advanceSafePoint } from "../server/events/inbox";
import { eventsSummary } from "../server/events/stats";
import { revenueStats } from "../server/projections/stats";
import { listPayments } from "../server/payments/queries";
import { liveRevenue } from "../server/projections/revenue";
import { createScratchDatabase } from "../tests/support/scratch-db";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** The request log's week: 1 000 000 rows is 1.7 requests a second. */
const REQUESTS = number("BENCH_STATEMENTS_REQUESTS", 1_000_000);
/** Idempotency records of the last day. */
const RECORDS = number("BENCH_STATEMENTS_RECORDS", 150_000);
/** Events, and as many payments. */
const EVENTS = number("BENCH_STATEMENTS_EVENTS", 300_000);

const merchant = (i: string) => `CASE WHEN ${i} % 2 = 0 THEN 'alice' ELSE 'bob' END`;
const FILL = [
  `INSERT INTO merchants (id, name, api_key_hash) VALUES ('alice', 'alice', 'a'), ('bob', 'bob', 'b') ON CONFLICT DO NOTHING`,
  `INSERT INTO request_log (at, merchant_id, operation, idempotency_key, outcome, status, latency_ms, amount, currency, via)
   SELECT now() - random() * interval '7 days', ${merchant("i")}, 'payment.create', 'k' || (i % ${RECORDS * 2}),
          (ARRAY['executed', 'replayed', 'conflict', 'rejected', 'failed'])[1 + i % 5], 201, random() * 200, 1000, 'usd',
          (ARRAY['rest', 'trpc', 'webhook', 'consumer'])[1 + i % 4]
     FROM generate_series(1, ${REQUESTS}) i`,
  `INSERT INTO idempotency_records (id, scope, operation, key, fingerprint, state, expires_at, executions, response_status, created_at, updated_at)
   SELECT gen_random_uuid(), ${merchant("i")}, 'payment.create', 'k' || i, 'fp', 'completed', now() + interval '1 day', 1, 201,
          now() - random() * interval '1 day', now() - random() * interval '1 day'
     FROM generate_series(1, ${RECORDS}) i`,
  `INSERT INTO events (id, merchant_id, type, subject_id, data, created_at)
   SELECT 'evt_' || i, ${merchant("i")}, 'payment.succeeded', 'pay_' || i, jsonb_build_object('amount', 1000, 'currency', 'usd'),
          now() - interval '7 days' + i * interval '1 second'
     FROM generate_series(1, ${EVENTS}) i`,
  `INSERT INTO payments (id, merchant_id, amount, currency, status, idempotency_key, idempotency_record_id, created_at)
   SELECT 'pay_' || i, ${merchant("i")}, 1000, 'usd', 'succeeded', 'k' || i, gen_random_uuid(), now() - random() * interval '7 days'
     FROM generate_series(1, ${EVENTS}) i`,
  // As autovacuum would have left a week of history: the visibility map set, so index-only scans stay index-only.
  "VACUUM ANALYZE",
];

// The prune as server/observability/request-log.ts runs it, one batch at a time.
const PRUNE = statement(
  "bench_request_log_prune",
  `DELETE FROM request_log WHERE id IN (SELECT id FROM request_log WHERE at < now() - $1::int * interval '1 day' ORDER BY at LIMIT 5000)`,
);

async function main(): Promise<void> {
  const scratch = await createScratchDatabase("oncepay_bench_statements");
  const db = connect(scratch.url, 4, true);
  const filler = connect(scratch.url, 1, true, true, { connectMs: 10_000, statementMs: 600_000, transactionMs: 600_000 });
  const rows: { what: string; ms: string }[] = [];
  try {
    const filled = performance.now();
    for (const text of FILL) await filler.pool.query(text);
    console.info(`${REQUESTS} request log rows, ${RECORDS} records, ${EVENTS} events and payments in ${Math.round(performance.now() - filled)} ms`);
    const reads: [string, () => Promise<unknown>][] = [];
    for (const window of ["5m", "1h", "24h"] as const) {
      reads.push([`dashboard summary ${window}`, () => summary(db.sql, window)]);
      reads.push([`dashboard timeseries ${window}`, () => timeseries(db.sql, window)]);
      reads.push([`dashboard provider ${window}`, () => provider(db.sql, window)]);
    }
    reads.push(["dashboard key list", () => records(db.sql, { limit: 50 })]);
    reads.push(["dashboard key list, searched", () => records(db.sql, { limit: 50, search: "k12" })]);
    reads.push(["dashboard key list, in progress", () => records(db.sql, { limit: 50, state: "in_progress" })]);
    reads.push(["events panel", async () => [await eventsSummary(db.sql, "outbox", ["receipts", "revenue"]), await revenueStats(db.sql)]]);
    reads.push(["revenue chart, 30 days", () => liveRevenue(db.sql, null, 30)]);
    reads.push(["a page of payments", () => listPayments(db.sql, "alice", 100)]);
    reads.push(["outbox safe point", () => advanceSafePoint(db.sql, "receipts", 60)]);
    for (const [what, read] of reads) {
      const runs: string[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const failed = await read().then(
          () => "",
          (error: unknown) => (isDatabaseUnavailable(error) ? " (503)" : ` (${String(error)})`),
        );
        runs.push(`${Math.round(performance.now() - started)}${failed}`);
      }
      rows.push({ what, ms: runs.join(" / ") });
    }
    const pruned = performance.now();
    let deleted = 0;
    let slowest = 0;
    for (let batch = 5000; batch === 5000;) {
      const started = performance.now();
      batch = await db.sql.count(PRUNE, [6]);
      deleted += batch;
      slowest = Math.max(slowest, performance.now() - started);
    }
    rows.push({
      what: `request log prune, a day (${deleted} rows)`,
      ms: `${Math.round(performance.now() - pruned)} in all, slowest batch ${Math.round(slowest)}`,
    });
  } finally {
    await Promise.all([db.pool.end(), filler.pool.end()]);
    await scratch.drop();
  }
  console.info(`statement bound: ${DEFAULT_BOUNDS.statementMs} ms\n`);
  console.info("| statement | ms (three runs) |\n| --- | --- |");
  for (const row of rows) console.info(`| ${row.what} | ${row.ms} |`);
  console.info(JSON.stringify({ requests: REQUESTS, records: RECORDS, events: EVENTS, rows }));
}

void main();
