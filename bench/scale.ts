/**
 * `npm run bench:scale`: does exactly-once stay as cheap when the tables hold a million rows?
 *
 * The production server on a scratch PostgreSQL database, charging at the provider simulator,
 * measured twice with the same scenarios (fresh and replayed payments, the balance, a deep page of
 * `GET /api/v1/events`, the dashboard's polled queries): on the empty database, then with the
 * history of `bench/scale/seed.ts` stored (BENCH_SCALE_ROWS records, ledger entries and events, a
 * million by default). Last, the cleanup deletes the seeded records (all past their TTL) while
 * fresh payments and replays run: p99 against the same loads without it, and how long it takes.
 * Prints a table and, last, one JSON line (`schema` versions its shape).
 */
import { rmSync } from "node:fs";
import os from "node:os";
import { newKey } from "../fixtures";
import { startProviderProcess, type ProviderProcess } from "../fixtures/provider-process";
import { ensureTestBuild, startServer, type ServerProcess } from "../fixtures/server-process";
import { connect } from "../server/db/client";
import { statement } from "../server/db/sql";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { load, type LoadResult, type LoadSettings } from "./load";
import { scenarios, BODY, JSON_AUTH, MERCHANT, type Scenario } from "./scale/scenarios";
import { seedScale } from "./scale/seed";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ROWS = number("BENCH_SCALE_ROWS", 1_000_000);
const SIZES = {
  records: number("BENCH_SCALE_RECORDS", ROWS),
  entries: number("BENCH_SCALE_ENTRIES", ROWS),
  events: number("BENCH_SCALE_EVENTS", ROWS),
};
const WRITES: LoadSettings = { durationSeconds: number("BENCH_DURATION", 5), warmupSeconds: number("BENCH_WARMUP", 2), connections: 10 };
// The dashboard polls each query once a second per open page: a few callers at a time, not ten.
const READS: LoadSettings = {
  durationSeconds: number("BENCH_SCALE_READ_SECONDS", 3),
  warmupSeconds: number("BENCH_SCALE_READ_WARMUP", 1),
  connections: number("BENCH_SCALE_READ_CONNECTIONS", 4),
};
/** How long to wait for the cleanup to finish after the loads measured during it; the rest is projected from its rate. */
const CLEANUP_WAIT_SECONDS = number("BENCH_SCALE_CLEANUP_WAIT", 60);
const CLEANUP_BATCH = process.env.BENCH_SCALE_CLEANUP_BATCH;
// Long enough for a bulk insert of a million rows and the VACUUM after it.
const LONG = { connectMs: 10_000, statementMs: 900_000, transactionMs: 900_000 };
const BENCH_OWNER = "bench:scale";

const TARGETS = {
  /** fresh and replay p99 at scale over the empty database's. */
  writeP99Ratio: { atMost: 1.1 },
  /** The balance and every dashboard query, at scale. */
  readP99Ms: { atMost: 20 },
  /** fresh and replay p99 while the cleanup deletes the backlog, over the same loads without it (issue 17). */
  cleanupP99Ratio: { atMost: 1.1 },
} as const;

// The bench holds the cleanup's lease (server/jobs/scheduler.ts) until it wants the cleanup to run:
// the seeded records are all expired, and a server's cleanup would otherwise start on them at once.
const HOLD_CLEANUP = statement(
  "bench_scale_hold_cleanup",
  `INSERT INTO jobs (name, lease_owner, lease_until) VALUES ('cleanup', $1, now() + interval '1 day')
   ON CONFLICT (name) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until`,
);
const RELEASE_CLEANUP = statement(
  "bench_scale_release_cleanup",
  "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE name = 'cleanup' AND lease_owner = $1",
);
const EXPIRED = statement("bench_scale_expired", "SELECT count(*)::int AS n FROM idempotency_records WHERE expires_at <= now()");
const DEEP_AFTER = statement("bench_scale_deep_after", "SELECT id FROM events WHERE merchant_id = $1 ORDER BY sequence DESC OFFSET 100 LIMIT 1");
const FIRST_EVENT = statement("bench_scale_first_event", "SELECT id FROM events WHERE merchant_id = $1 ORDER BY sequence LIMIT 1");
const VACUUM = statement("bench_scale_vacuum", "VACUUM ANALYZE");
const CHECKPOINT = statement("bench_scale_checkpoint", "CHECKPOINT");
const SIZE = statement("bench_scale_size", "SELECT pg_database_size(current_database())::float8 AS bytes");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main() {
  ensureTestBuild();
  const db = await createScratchDatabase("oncepay_bench_scale");
  const probe = connect(db.url, 2, false, false, LONG);
  const sql = probe.sql;
  let provider: ProviderProcess | null = null;
  let server: ServerProcess | null = null;
  const start = async () => {
    if (!provider) throw new Error("bench: no provider");
    server = await startServer({
      databaseUrl: db.url,
      env: {
        LOG_LEVEL: "warn",
        FAULT_INJECTION: "0",
        PROVIDER_URL: provider.url,
        // Counted as in production, but never reached: the load is one merchant at the machine's limit.
        MERCHANT_RATE_LIMIT: "1000000",
        // When the bench lets the cleanup go, the server takes it within a second or two (half a lease).
        JOBS_LEASE_SECONDS: "3",
        CLEANUP_INTERVAL_SECONDS: "2",
        ...(CLEANUP_BATCH ? { CLEANUP_BATCH } : {}),
      },
    });
    return server;
  };
  const settle = async () => {
    await sql.count(VACUUM).catch(() => undefined);
    await sql.count(CHECKPOINT).catch(() => undefined); // needs superuser; skipped without
  };
  const deepAfter = async () =>
    (await sql.rows<{ id: string }>(DEEP_AFTER, [MERCHANT]))[0]?.id ?? (await sql.rows<{ id: string }>(FIRST_EVENT, [MERCHANT]))[0]!.id;

  /** Every scenario on one server, each after its warm-up; the deep page's position is read once the fresh load has written events. */
  const phase = async (base: string, replayKey: string): Promise<Record<string, LoadResult>> => {
    const results: Record<string, LoadResult> = {};
    let after = "";
    for (const kind of ["write", "read"] as const) {
      if (kind === "read") after = await deepAfter();
      for (const s of scenarios(base, replayKey, after).filter((x: Scenario) => x.kind === kind)) {
        if (kind === "write") await settle();
        results[s.name] = await load(kind === "write" ? WRITES : READS, s.options, {});
        process.stderr.write(`  ${s.name}: p99 ${results[s.name]!.p99Ms} ms, ${results[s.name]!.requestsPerSecond} req/s\n`);
      }
    }
    return results;
  };

  try {
    await sql.count(HOLD_CLEANUP, [BENCH_OWNER]);
    provider = await startProviderProcess();
    let base = (await start()).url;
    const replayKey = newKey();
    const first = await fetch(`${base}/api/v1/payments`, { method: "POST", headers: { ...JSON_AUTH, "idempotency-key": replayKey }, body: BODY });
    if (first.status !== 201) throw new Error(`bench: the first payment failed (${first.status})`);

    process.stderr.write("empty database\n");
    const empty = await phase(base, replayKey);

    // Seeded with no server running: each table is locked while it loads (bench/scale/seed.ts).
    await server!.stop();
    process.stderr.write(`seeding ${JSON.stringify(SIZES)}\n`);
    const seedStarted = performance.now();
    await seedScale(sql, SIZES);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const databaseBytes = (await sql.rows<{ bytes: number }>(SIZE))[0]!.bytes;
    process.stderr.write(`seeded in ${seedSeconds.toFixed(1)} s, database ${(databaseBytes / 2 ** 30).toFixed(2)} GiB\n`);
    await settle();
    base = (await start()).url;

    process.stderr.write("seeded database\n");
    const seeded = await phase(base, replayKey);

    // The cleanup, let go on the backlog: measured once it has started, while rows are left.
    const left = async () => (await sql.rows<{ n: number }>(EXPIRED))[0]!.n;
    const backlog = await left();
    await settle();
    await sql.count(RELEASE_CLEANUP, [BENCH_OWNER]);
    const released = performance.now();
    while ((await left()) === backlog) {
      if (performance.now() - released > 60_000) throw new Error("bench: the cleanup did not start within a minute");
      await sleep(250);
    }
    const startedAt = performance.now();
    process.stderr.write(`cleanup started on ${backlog} expired records\n`);
    const freshAndReplay = scenarios(base, replayKey, "").filter((s) => s.kind === "write");
    const during: Record<string, LoadResult> = {};
    for (const s of freshAndReplay) {
      during[s.name] = await load(WRITES, s.options, {});
      process.stderr.write(`  ${s.name} during the cleanup: p99 ${during[s.name]!.p99Ms} ms\n`);
    }
    const leftAfterLoads = await left();
    const loadsSeconds = (performance.now() - startedAt) / 1000;
    let remaining = leftAfterLoads;
    while (remaining > 0 && (performance.now() - startedAt) / 1000 < loadsSeconds + CLEANUP_WAIT_SECONDS) {
      await sleep(2_000);
      remaining = await left();
    }
    const elapsed = (performance.now() - startedAt) / 1000;
    const deleted = backlog - remaining;
    const rowsPerSecond = Math.round(deleted / elapsed);
    const cleanup = {
      rows: backlog,
      deleted,
      finished: remaining === 0,
      seconds: round(elapsed, 1),
      /** The whole backlog at the rate measured, when it did not finish within the wait. */
      projectedSeconds: remaining === 0 ? round(elapsed, 1) : Math.round(backlog / Math.max(rowsPerSecond, 1)),
      rowsPerSecond,
      rowsPerSecondUnderLoad: Math.round((backlog - leftAfterLoads) / loadsSeconds),
      batch: Number(CLEANUP_BATCH ?? 500),
      loads: during,
      p99DuringOverWithout: Object.fromEntries(Object.entries(during).map(([name, r]) => [name, round(r.p99Ms / seeded[name]!.p99Ms)])),
    };

    const rows = Object.keys(empty).map((name) => {
      const e = empty[name]!;
      const s = seeded[name]!;
      const write = name === "fresh" || name === "replay";
      const p99Ratio = round(s.p99Ms / e.p99Ms);
      const met = write ? p99Ratio <= TARGETS.writeP99Ratio.atMost : name === "events deep page" ? null : s.p99Ms <= TARGETS.readP99Ms.atMost;
      return { name, empty: e, seeded: s, p99Ratio, rpsRatio: round(s.requestsPerSecond / e.requestsPerSecond), met };
    });
    const cleanupMet = Object.values(cleanup.p99DuringOverWithout).every((r) => r <= TARGETS.cleanupP99Ratio.atMost);

    console.log(
      "\nAt scale: %s records, %s ledger entries, %s events (each in %d inboxes); seeded in %s s, database %s GiB",
      SIZES.records,
      SIZES.entries,
      SIZES.events,
      3,
      seedSeconds.toFixed(1),
      (databaseBytes / 2 ** 30).toFixed(2),
    );
    console.log(
      "autocannon: writes %d connections %d s, reads %d connections %d s, each after a warm-up",
      WRITES.connections,
      WRITES.durationSeconds,
      READS.connections,
      READS.durationSeconds,
    );
    console.table(
      rows.map((r) => ({
        scenario: r.name,
        "empty req/s": r.empty.requestsPerSecond,
        "empty p50": r.empty.p50Ms,
        "empty p99": r.empty.p99Ms,
        "seeded req/s": r.seeded.requestsPerSecond,
        "seeded p50": r.seeded.p50Ms,
        "seeded p99": r.seeded.p99Ms,
        "p99 ratio": r.p99Ratio,
        failures: r.empty.failures + r.seeded.failures,
        met: r.met ?? "",
      })),
    );
    console.log(
      "cleanup: %d expired records, %d deleted in %s s (%d rows/s; %d rows/s under the loads)%s",
      cleanup.rows,
      cleanup.deleted,
      cleanup.seconds,
      cleanup.rowsPerSecond,
      cleanup.rowsPerSecondUnderLoad,
      cleanup.finished ? "" : `; not finished: about ${cleanup.projectedSeconds} s for all at this rate`,
    );
    console.table(
      Object.entries(during).map(([name, r]) => ({
        load: name,
        "p99 without": seeded[name]!.p99Ms,
        "p99 during": r.p99Ms,
        ratio: cleanup.p99DuringOverWithout[name],
        "req/s during": r.requestsPerSecond,
        failures: r.failures,
      })),
    );
    const summary = {
      schema: "oncepay-bench-scale/1",
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.version,
      },
      settings: { writes: WRITES, reads: READS, cleanupWaitSeconds: CLEANUP_WAIT_SECONDS, redis: false },
      sizes: SIZES,
      seed: { seconds: round(seedSeconds, 1), databaseBytes },
      scenarios: Object.fromEntries(
        rows.map((r) => [
          r.name,
          { emptyP99Ms: r.empty.p99Ms, seededP99Ms: r.seeded.p99Ms, p99Ratio: r.p99Ratio, rpsRatio: r.rpsRatio, met: r.met, empty: r.empty, seeded: r.seeded },
        ]),
      ),
      cleanup,
      targets: {
        ...TARGETS,
        met: {
          writeP99Ratio: rows.filter((r) => r.name === "fresh" || r.name === "replay").every((r) => r.met),
          readP99Ms: rows.filter((r) => r.name !== "fresh" && r.name !== "replay").every((r) => r.met !== false),
          cleanupP99Ratio: cleanupMet,
        },
      },
    };
    console.log(JSON.stringify(summary));
  } finally {
    if (server) await (server as ServerProcess).stop();
    if (provider) {
      await provider.stop();
      rmSync(provider.dataDir, { recursive: true, force: true });
    }
    await probe.prisma.$disconnect();
    await probe.pool.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
