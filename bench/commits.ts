/**
 * `npm run bench:commits`: what one fresh payment asks of PostgreSQL, REST and tRPC, counted on the
 * server side. A PostgreSQL cluster of its own (the machine's is never restarted) with
 * `pg_stat_statements` loaded; the production server on it, charging at the provider simulator;
 * `BENCH_COMMITS_PAYMENTS` fresh payments each way, then the counts divided by the payments:
 *
 * - write commits: transaction ids handed out (only a transaction that writes takes one), which is
 *   what costs a WAL flush; the background's own rate, measured idle first, is taken off;
 * - commits: `xact_commit` of the database, read-only transactions and single statements included;
 * - statements: every statement PostgreSQL ran (BEGIN and COMMIT included), and the top ones by
 *   total time, with their calls per payment.
 *
 * The events' consumers run in the server and are counted too: the counts are read once the
 * database has been quiet (back to its idle rate) for a second. `BENCH_COMMITS_REDIS=1` runs the
 * server with the Redis fast path; `BENCH_CPU_PROFILE_DIR=<dir>` also profiles the server (V8) and
 * prints where its CPU goes.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { API_KEYS, newKey, sleep } from "../fixtures";
import { startSimulatorProcess } from "../fixtures/simulator-process";
import { createScratchCluster } from "../fixtures/scratch-cluster";
import { ensureTestBuild, startServer } from "../fixtures/server-process";
import { trpcClient } from "../tests/support/trpc";
import { summarizeProfiles } from "./profile";

const PAYMENTS = Number(process.env.BENCH_COMMITS_PAYMENTS ?? 200);
const CONCURRENCY = 4;
const REDIS_URL = process.env.BENCH_COMMITS_REDIS === "1" ? (process.env.REDIS_URL ?? "redis://127.0.0.1:6379") : null;
const BODY = { amount: 1000, currency: "usd" } as const;
/** Set to a directory to get, and summarize, a V8 CPU profile of the server for each way in. */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const per = (n: number) => +(n / PAYMENTS).toFixed(2);

interface Counters {
  xid: number;
  commits: number;
  at: number;
}

async function counters(client: pg.Client): Promise<Counters> {
  // pg_stat_database is flushed by each backend at most once a second: read it after a pause.
  const { rows } = await client.query<{ xid: string; commits: string }>(
    `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid, xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()`,
  );
  return { xid: Number(rows[0]!.xid), commits: Number(rows[0]!.commits), at: performance.now() };
}

/** Transaction ids per second while nothing is asked of the server: its jobs' own writes. */
async function idleRate(client: pg.Client, ms: number): Promise<number> {
  const before = await counters(client);
  await sleep(ms);
  const after = await counters(client);
  return (after.xid - before.xid) / ((after.at - before.at) / 1000);
}

/** How far the slowest consumer is behind the newest event. */
async function backlog(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "SELECT (coalesce((SELECT max(sequence) FROM events), 0) - coalesce((SELECT min(watermark) FROM consumer_state), 0))::int AS n",
  );
  return rows[0]?.n ?? 0;
}

/**
 * Until every consumer has applied every event, and then a second passes with no more writes than
 * the idle rate would make: nothing of the payments is still being written.
 */
async function quiet(client: pg.Client, rate: number): Promise<void> {
  for (let i = 0; i < 120 && (await backlog(client)) > 0; i++) await sleep(500);
  for (let i = 0; i < 30; i++) {
    const before = await counters(client);
    await sleep(1_000);
    const after = await counters(client);
    if (after.xid - before.xid <= Math.ceil(rate * 1.5) + 1) return;
  }
}

async function inParallel(n: number, one: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < n) await one();
    }),
  );
}

interface Statement {
  query: string;
  calls: string;
  total_ms: number;
  mean_ms: number;
}

/** One way in: its fresh payment against `url`. */
function payer(way: "REST" | "tRPC", url: string): () => Promise<void> {
  if (way === "tRPC") {
    const trpc = trpcClient(url);
    return async () => void (await trpc.payment.create.mutate({ ...BODY, idempotencyKey: newKey() }));
  }
  return async () => {
    const res = await fetch(`${url}/api/v1/payments`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEYS.alice}`, "content-type": "application/json", "idempotency-key": newKey() },
      body: JSON.stringify(BODY),
    });
    if (res.status !== 201) throw new Error(`bench: REST payment answered ${res.status}: ${await res.text()}`);
  };
}

async function main(): Promise<void> {
  ensureTestBuild();
  const cluster = await createScratchCluster({ settings: { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all" } });
  const provider = await startSimulatorProcess();
  const admin = new pg.Client({ connectionString: cluster.url });
  try {
    await admin.connect();
    await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    const report: Record<string, unknown> = { payments: PAYMENTS, redis: REDIS_URL !== null };
    // A server of its own for each way in, so that each CPU profile holds one way.
    for (const way of ["REST", "tRPC"] as const) {
      const profileDir = PROFILE_DIR ? path.resolve(PROFILE_DIR, `${way.toLowerCase()}-${Date.now()}`) : null;
      const server = await startServer({
        databaseUrl: cluster.url,
        nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
        env: {
          LOG_LEVEL: "warn",
          FAULT_INJECTION: "0",
          PROVIDER_URL: provider.url,
          MERCHANT_RATE_LIMIT: "1000000",
          ...(REDIS_URL ? { REDIS_URL } : {}),
        },
      });
      let counted: Record<string, number>;
      let rows: Statement[];
      try {
        const pay = payer(way, server.url);
        // Warm: routes compiled, statements prepared, the consumers' first batches done.
        await inParallel(40, pay);
        const rate = await idleRate(admin, 3_000);
        await quiet(admin, rate);
        await admin.query("SELECT pg_stat_statements_reset()");
        await sleep(1_100);
        const before = await counters(admin);
        await inParallel(PAYMENTS, pay);
        await quiet(admin, rate);
        await sleep(1_100);
        const after = await counters(admin);
        const seconds = (after.at - before.at) / 1000;
        rows = (
          await admin.query<Statement>(
            `SELECT query, calls::text, total_exec_time AS total_ms, mean_exec_time AS mean_ms FROM pg_stat_statements
              WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%pg_current_snapshot%'
              ORDER BY total_exec_time DESC`,
          )
        ).rows;
        const calls = rows.reduce((sum, r) => sum + Number(r.calls), 0);
        const commitStatements = rows.filter((r) => /^\s*commit/i.test(r.query)).reduce((sum, r) => sum + Number(r.calls), 0);
        counted = {
          writeCommits: per(after.xid - before.xid - rate * seconds),
          commits: per(after.commits - before.commits),
          explicitTransactions: per(commitStatements),
          statements: per(calls),
          statementMs: per(rows.reduce((sum, r) => sum + r.total_ms, 0)),
        };
        console.info(`\n${way}: per fresh payment (${PAYMENTS} payments; the background's ${(rate * seconds).toFixed(0)} writes taken off)`);
      } finally {
        await server.stop();
      }
      console.table(counted);
      console.info(`${way}: top statements by total time`);
      console.table(
        rows.slice(0, 15).map((r) => ({
          "calls/payment": per(Number(r.calls)),
          "mean ms": +r.mean_ms.toFixed(3),
          "total ms": Math.round(r.total_ms),
          statement: r.query.replace(/\s+/g, " ").slice(0, 110),
        })),
      );
      const entry: Record<string, unknown> = {
        ...counted,
        top: rows.slice(0, 15).map((r) => ({ calls: per(Number(r.calls)), ms: +r.mean_ms.toFixed(3), query: r.query.replace(/\s+/g, " ").slice(0, 200) })),
      };
      if (profileDir) {
        // The whole life of the server, warm-up and background jobs included, per measured payment.
        const profile = summarizeProfiles(profileDir, PAYMENTS + 40);
        console.info(`${way}: server CPU (V8 profile, self time), ${profile.totalUs} µs per payment in all; by function, then by where the code lives`);
        console.table(profile.byFunction);
        console.table(profile.byHome);
        entry.profile = profile;
      }
      report[way] = entry;
    }
    console.info(JSON.stringify({ schema: "oncepay-bench-commits/1", at: new Date().toISOString(), ...report }));
  } finally {
    await admin.end().catch(() => undefined);
    await provider.stop();
    rmSync(provider.dataDir, { recursive: true, force: true });
    await cluster.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
