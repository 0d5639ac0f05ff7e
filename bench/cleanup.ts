/**
 * `npm run bench:cleanup`: what retention costs requests. On a scratch PostgreSQL database, a
 * server with the cleanup every 2 s (batches of `CLEANUP_BATCH`, 500): replays and fresh payments
 * measured before, while the cleanup deletes a backlog of expired records (as after a long stop, or
 * on the first day past the TTL), and after it. Prints the cleanup's throughput (rows a second) and
 * p99 during against the mean of before and after (the contract: no more than 10 % higher), then a
 * JSON line.
 */
import pg from "pg";
import { API_KEYS, newKey } from "../fixtures";
import { startSimulatorProcess } from "../fixtures/simulator-process";
import { startServer, ensureTestBuild } from "../fixtures/server-process";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { load, warm, type LoadResult, type LoadSettings } from "./load";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const EXPIRED = number("BENCH_CLEANUP_ROWS", 300_000);
const SETTINGS: LoadSettings = { durationSeconds: number("BENCH_DURATION", 6), warmupSeconds: number("BENCH_WARMUP", 3), connections: 10 };
const AUTH = { authorization: `Bearer ${API_KEYS.alice}`, "content-type": "application/json" };
const BODY = JSON.stringify({ amount: 1000, currency: "usd" });

// Completed records a day past their TTL, each with a stored body the size of a payment's.
const BACKLOG = `INSERT INTO idempotency_records (id, scope, operation, key, fingerprint, state, expires_at, executions,
                   response_status, response_headers, response_body, completed_at)
                 SELECT gen_random_uuid(), 'alice', 'payment.create', 'bench-expired-' || g, 'fp', 'completed', now() - interval '1 day', 1,
                        201, '{"content-type":"application/json"}', repeat('x', 300), now() - interval '2 days'
                   FROM generate_series(1, $1::int) g`;
const LEFT = "SELECT count(*)::int AS n FROM idempotency_records WHERE key LIKE 'bench-expired-%'";

async function main() {
  ensureTestBuild();
  const db = await createScratchDatabase("oncepay_bench");
  const provider = await startSimulatorProcess();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const server = await startServer({
    databaseUrl: db.url,
    env: { LOG_LEVEL: "warn", FAULT_INJECTION: "0", PROVIDER_URL: provider.url, CLEANUP_INTERVAL_SECONDS: "2" },
  });
  try {
    const url = `${server.url}/api/v1/payments`;
    const replayKey = newKey();
    const first = await fetch(url, { method: "POST", headers: { ...AUTH, "idempotency-key": replayKey }, body: BODY });
    if (first.status !== 201) throw new Error(`bench: the first payment failed (${first.status})`);
    const replay = { url, method: "POST" as const, body: BODY, headers: { ...AUTH, "idempotency-key": replayKey } };
    const fresh = {
      url,
      requests: [{ method: "POST" as const, body: BODY, setupRequest: (r: object) => ({ ...r, headers: { ...AUTH, "idempotency-key": newKey() } }) }],
    };
    for (const options of [replay, fresh]) await warm(SETTINGS, options);
    const measure = async () => ({ replay: await load(SETTINGS, replay, {}), fresh: await load(SETTINGS, fresh, {}) });

    const before = await measure();
    await client.query(BACKLOG, [EXPIRED]);
    await client.query("ANALYZE idempotency_records");
    const left = async () => (await client.query<{ n: number }>(LEFT)).rows[0]!.n;
    // Measured once the cleanup has started on the backlog, while rows are left.
    while ((await left()) === EXPIRED) await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = Date.now();
    const startedWith = await left();
    const during = await measure();
    const leftAfterDuring = await left();
    while ((await left()) > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    const seconds = (Date.now() - startedAt) / 1000;
    const after = await measure();

    const rowsPerSecond = Math.round(startedWith / seconds);
    const ratio = (pick: (r: { replay: LoadResult; fresh: LoadResult }) => number) =>
      Math.round((pick(during) / ((pick(before) + pick(after)) / 2)) * 100) / 100;
    const table = ["replay", "fresh"].flatMap((kind) =>
      (["before", "during", "after"] as const).map((when) => {
        const r = { before, during, after }[when][kind as "replay" | "fresh"];
        return { load: kind, when, "req/s": r.requestsPerSecond, "p50 ms": r.p50Ms, "p99 ms": r.p99Ms, failures: r.failures };
      }),
    );
    console.table(table);
    console.log(
      `cleanup: ${startedWith} expired records deleted in ${seconds.toFixed(1)} s (${rowsPerSecond} rows/s; ${startedWith - leftAfterDuring} of them during the measured loads)`,
    );
    const summary = {
      schema: "oncepay-bench-cleanup/1",
      rows: startedWith,
      seconds: Math.round(seconds * 10) / 10,
      rowsPerSecond,
      p99DuringOverAround: { replay: ratio((r) => r.replay.p99Ms), fresh: ratio((r) => r.fresh.p99Ms) },
      rpsDuringOverAround: { replay: ratio((r) => r.replay.requestsPerSecond), fresh: ratio((r) => r.fresh.requestsPerSecond) },
      target: { p99DuringOverAround: { atMost: 1.1 } },
      loads: { before, during, after },
    };
    console.log(JSON.stringify(summary));
  } finally {
    await server.stop();
    await provider.stop();
    await client.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
