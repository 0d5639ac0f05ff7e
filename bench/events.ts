/**
 * `npm run bench:events`: the event path's numbers, on a scratch PostgreSQL database with the local
 * NATS JetStream: end-to-end lag (outbox insert → consumer commit) at a steady payment rate, the
 * relay's and each consumer's throughput on a backlog, and the projection rebuild's time. Prints a
 * table and one JSON line.
 */
import pg from "pg";
import { newKey, API_KEYS } from "../fixtures";
import { deleteStream } from "../fixtures/jetstream-admin";
import { rebuildRevenue } from "../server/projections/rebuild";
import { SqlPool } from "../server/db/sql";
import { logger } from "../server/observability/logger";
import { startWorker } from "../fixtures/worker-process";
import { testStream, NATS_URL } from "../tests/support/event-workers";
import { startSimulatorProcess } from "../fixtures/simulator-process";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { ensureTestBuild, startServer } from "../fixtures/server-process";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RATE = number("BENCH_EVENTS_RATE", 20);
const SECONDS = number("BENCH_EVENTS_SECONDS", 15);
const BACKLOG = number("BENCH_EVENTS_BACKLOG", 1000);
// "outbox": no broker, the consumers read the outbox themselves (the embedded default's path, on PostgreSQL).
const BROKERED = process.env.BENCH_EVENTS_MODE !== "outbox";
const SYNTHETIC = number("BENCH_EVENTS_SYNTHETIC", 100_000);

// A 5xx or 409 is retried with the same key, as the contract tells a client to: on a loaded machine a
// transaction can pass its deadline, and the event path is what this measures, not that.
async function post(url: string, body: unknown, what: string): Promise<{ id: string }> {
  const headers = { authorization: `Bearer ${API_KEYS.alice}`, "content-type": "application/json", "idempotency-key": newKey() };
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status === 201) return (await res.json()) as { id: string };
    await res.body?.cancel();
    if ((res.status < 500 && res.status !== 409) || attempt === 10) throw new Error(`${what}: ${res.status}`);
    await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
  }
}

async function pay(url: string, i: number): Promise<void> {
  const payment = await post(`${url}/api/v1/payments`, { amount: 1000 + i, currency: "usd" }, "payment");
  if (i % 4 !== 0) return;
  await post(`${url}/api/v1/refunds`, { payment: payment.id, amount: 100 }, "refund");
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  ensureTestBuild();
  const stream = testStream("bench");
  const [provider, database] = await Promise.all([startSimulatorProcess(), createScratchDatabase("oncepay_bench")]);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const one = async <T>(text: string, values: unknown[] = []) => (await pool.query(text, values)).rows[0] as T;
  // An open-loop load: the merchant limits stay on but out of reach, so a slow moment queues rather than refuses.
  const limits = { MERCHANT_RATE_LIMIT: "100000", MERCHANT_MAX_IN_FLIGHT: "10000" };
  const eventEnv: Record<string, string> = BROKERED ? { NATS_URL, NATS_STREAM: stream, EVENTS_POLL_MS: "50", ...limits } : { EVENTS_POLL_MS: "50", ...limits };
  const report: Record<string, number> = {};
  try {
    // 1. Steady state: the app runs the relay and both consumers; payments arrive at RATE a second.
    let server = await startServer({ databaseUrl: database.url, env: { ...eventEnv, PROVIDER_URL: provider.url } });
    const sent: Promise<void>[] = [];
    const started = Date.now();
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = started + (i * 1000) / RATE;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      sent.push(pay(server.url, i));
    }
    await Promise.all(sent);
    const steady = await one<{ n: string }>("SELECT count(*) AS n FROM events");
    await until(
      async () =>
        (await one<{ n: string }>("SELECT count(*) AS n FROM consumer_inbox WHERE consumer IN ('receipts', 'revenue')")).n === String(2 * Number(steady.n)),
      120_000,
      "steady consumers",
    );
    for (const consumer of ["receipts", "revenue"]) {
      const lag = await one<{ p50: number; p99: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.applied_at - e.created_at)) * 1000 AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM i.applied_at - e.created_at)) * 1000 AS p99
           FROM consumer_inbox i JOIN events e ON e.id = i.event_id WHERE i.consumer = $1`,
        [consumer],
      );
      report[`lag_${consumer}_p50_ms`] = Math.round(lag.p50);
      report[`lag_${consumer}_p99_ms`] = Math.round(lag.p99);
    }
    report.steady_events = Number(steady.n);
    await server.stop();

    // 2. A backlog: payments with no event workers anywhere, then the relay alone, then the consumers.
    server = await startServer({ databaseUrl: database.url, env: { ...eventEnv, PROVIDER_URL: provider.url, EVENT_WORKERS: "none" } });
    for (let i = 0; i < BACKLOG; i += 8) await Promise.all(Array.from({ length: 8 }, (_, j) => pay(server.url, i + j + 1)));
    await server.stop();
    const backlog = Number((await one<{ n: string }>("SELECT count(*) AS n FROM events WHERE sequence > $1", [report.steady_events])).n);
    report.backlog_events = backlog;
    if (BROKERED) {
      const relay = startWorker(["relay"], { ...eventEnv, DATABASE_URL: database.url });
      await until(async () => (await one<{ n: string }>("SELECT count(*) AS n FROM events WHERE published_at IS NULL")).n === "0", 120_000, "relay");
      await relay.stop();
      const relayed = await one<{ s: number }>("SELECT extract(epoch FROM max(published_at) - min(published_at)) AS s FROM events WHERE sequence > $1", [
        report.steady_events,
      ]);
      report.relay_events_per_s = Math.round(backlog / Math.max(relayed.s, 0.001));
    }
    const total = Number((await one<{ n: string }>("SELECT count(*) AS n FROM events")).n);
    const consumers = startWorker(["receipts", "revenue"], { ...eventEnv, DATABASE_URL: database.url });
    await until(
      async () => (await one<{ n: string }>("SELECT count(*) AS n FROM consumer_inbox WHERE consumer IN ('receipts', 'revenue')")).n === String(2 * total),
      300_000,
      "consumers",
    );
    await consumers.stop();
    for (const consumer of ["receipts", "revenue"]) {
      // An inbox row's applied_at is its transaction's start: from the first to the last is the time
      // of every transaction but the last, so the rate counts the events of all but the last.
      const took = await one<{ s: number; n: number }>(
        `WITH r AS (SELECT applied_at FROM consumer_inbox WHERE consumer = $1 AND sequence > $2)
         SELECT extract(epoch FROM max(applied_at) - min(applied_at)) AS s, (SELECT count(*) FROM r WHERE applied_at < (SELECT max(applied_at) FROM r))::int AS n FROM r`,
        [consumer, report.steady_events],
      );
      report[`consumer_${consumer}_events_per_s`] = Math.round(took.n / Math.max(took.s, 0.001));
    }

    // 3. The rebuild of everything so far.
    const rebuildPool = new pg.Pool({ connectionString: database.url, max: 1 });
    const rebuilt = await rebuildRevenue(new SqlPool(rebuildPool, true), { batch: 1000, graceSeconds: 60, log: logger }).finally(() => rebuildPool.end());
    report.rebuild_events = rebuilt.events;
    report.rebuild_ms = rebuilt.ms;

    // 4. The rebuild at scale: synthetic payment events (copies of a real one's shape), then again.
    await pool.query(
      `INSERT INTO events (id, merchant_id, type, subject_id, data, created_at)
       SELECT 'evt_synthetic_' || g, e.merchant_id, e.type, 'synthetic_' || g, e.data, now() - (g % 30) * interval '1 day'
         FROM generate_series(1, $1::int) g, (SELECT * FROM events WHERE type = 'payment.succeeded' LIMIT 1) e`,
      [SYNTHETIC],
    );
    const bigPool = new pg.Pool({ connectionString: database.url, max: 1 });
    const big = await rebuildRevenue(new SqlPool(bigPool, true), { batch: 1000, graceSeconds: 60, log: logger }).finally(() => bigPool.end());
    report.rebuild_large_events = big.events;
    report.rebuild_large_ms = big.ms;
  } finally {
    await pool.end();
    await provider.stop();
    await database.drop();
    await deleteStream(NATS_URL, stream).catch(() => undefined);
  }
  const path_ = BROKERED ? "JetStream, relay and consumers in the app" : "no broker, consumers reading the outbox in the app";
  console.log(`\nevents at ${RATE} payments/s for ${SECONDS} s (a quarter refunded), ${path_}:`);
  console.log(
    `  end-to-end lag, outbox insert → consumer commit: receipts p50 ${report.lag_receipts_p50_ms} ms, p99 ${report.lag_receipts_p99_ms} ms; revenue p50 ${report.lag_revenue_p50_ms} ms, p99 ${report.lag_revenue_p99_ms} ms`,
  );
  console.log(`backlog of ${report.backlog_events} events, each worker in its own process:`);
  console.log(
    `  relay ${report.relay_events_per_s ?? "(none)"} events/s; receipts ${report.consumer_receipts_events_per_s} events/s; revenue ${report.consumer_revenue_events_per_s} events/s (both consumers at once)`,
  );
  console.log(
    `rebuild of the revenue projection: ${report.rebuild_events} events in ${report.rebuild_ms} ms; with synthetic events, ${report.rebuild_large_events} in ${report.rebuild_large_ms} ms`,
  );
  console.log(JSON.stringify({ schema: "oncepay-bench-events/1", mode: BROKERED ? "jetstream" : "outbox", rate: RATE, seconds: SECONDS, ...report }));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
