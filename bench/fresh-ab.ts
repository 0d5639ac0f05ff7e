/**
 * `npx tsx bench/fresh-ab.ts`: fresh payments on two servers of one scratch database, alternated
 * (A, B, B, A, …), each load started only once the other's events are consumed.
 *
 * By default A has the Redis fast path and B has not, on the same build. `npm run bench` measures
 * the two back to back in one order, right after both servers' warm-ups (whose events the consumers
 * are still applying); this separates the fast path's own cost from the order and the backlog.
 *
 * With `BENCH_AB_DIST=<dir>` (another Next.js build in the checkout, say `.next-before` copied from
 * an older commit's `.next-test`), A is this build and B is that one, both without Redis: a before
 * and after of the server, under the same conditions.
 */
import { rmSync } from "node:fs";
import { API_KEYS, newKey } from "../fixtures";
import { startSimulatorProcess } from "../fixtures/simulator-process";
import { ensureTestBuild, startServer, type ServerProcess } from "../fixtures/server-process";
import { connect } from "../server/db/client";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { drained } from "./backlog";
import { load, type LoadResult } from "./load";

const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const SETTINGS = { durationSeconds: Number(process.env.BENCH_DURATION ?? 5), warmupSeconds: 2, connections: 10 };
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const OTHER_DIST = process.env.BENCH_AB_DIST;
const NAMES = OTHER_DIST ? ["this build", `build ${OTHER_DIST}`] : ["with Redis", "without Redis"];
const AUTH = { authorization: `Bearer ${API_KEYS.alice}`, "content-type": "application/json" };
const BODY = JSON.stringify({ amount: 1000, currency: "usd" });

async function main(): Promise<void> {
  ensureTestBuild();
  const db = await createScratchDatabase("oncepay_bench_redis");
  const probe = connect(db.url, 1, false);
  const provider = await startSimulatorProcess();
  const servers: ServerProcess[] = [];
  try {
    const start = async (extra: Record<string, string>) => {
      const env = { LOG_LEVEL: "warn", FAULT_INJECTION: "0", PROVIDER_URL: provider.url, MERCHANT_RATE_LIMIT: "1000000", ...extra };
      const server = await startServer({ databaseUrl: db.url, env });
      servers.push(server);
      return server;
    };
    const a = await start(OTHER_DIST ? {} : { REDIS_URL });
    const b = await start(OTHER_DIST ? { NEXT_DIST_DIR: OTHER_DIST } : {});
    const fresh = (server: ServerProcess) => async (): Promise<LoadResult> => {
      await drained(probe.sql);
      return load(
        SETTINGS,
        {
          url: `${server.url}/api/v1/payments`,
          requests: [{ method: "POST", body: BODY, setupRequest: (r: object) => ({ ...r, headers: { ...AUTH, "idempotency-key": newKey() } }) }],
        },
        { server: { pid: server.pid }, postgres: { name: "postgres" }, provider: { pid: provider.pid } },
      );
    };
    const rows: { run: string; "req/s": number; "p99 ms": number; "server µs": number | string; "postgres µs": number | string }[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const order: [string, () => Promise<LoadResult>][] = [
        [NAMES[0]!, fresh(a)],
        [NAMES[1]!, fresh(b)],
      ];
      if (pair % 2 === 1) order.reverse();
      for (const [name, measure] of order) {
        const r = await measure();
        rows.push({
          run: `${pair + 1}: ${name}`,
          "req/s": r.requestsPerSecond,
          "p99 ms": r.p99Ms,
          "server µs": r.cpuUsPerRequest?.server ?? "",
          "postgres µs": r.cpuUsPerRequest?.postgres ?? "",
        });
        console.info(JSON.stringify(rows.at(-1)));
      }
    }
    console.table(rows);
    const mean = (name: string) => {
      const of = rows.filter((r) => r.run.endsWith(name));
      return of.reduce((sum, r) => sum + r["req/s"], 0) / of.length;
    };
    console.info(`fresh, ${NAMES[0]} / ${NAMES[1]}: ${(mean(`: ${NAMES[0]}`) / mean(`: ${NAMES[1]}`)).toFixed(2)}`);
  } finally {
    for (const server of servers) await server.stop();
    await provider.stop();
    rmSync(provider.dataDir, { recursive: true, force: true });
    await probe.pool.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
