/**
 * `npm run bench`: what exactly-once costs. Starts the production server on a scratch PostgreSQL
 * database, loads it with autocannon over loopback, and prints a table and a final JSON line.
 * (Issue 5 extends this with Redis, the naive peer and the engine micro-benchmark.)
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import { apiClient, newKey } from "../tests/support/api";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { startServer, TEST_DIST_DIR } from "../tests/support/server-process";

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const STORM_SIZE = 200;
const STORM_ROUNDS = Number(process.env.BENCH_STORM_ROUNDS ?? 10);
const AUTH = { authorization: "Bearer sk_test_alice", "content-type": "application/json" };
const BODY = JSON.stringify({ amount: 1000, currency: "usd" });

interface Row {
  scenario: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

async function load(scenario: string, url: string, options: Partial<autocannon.Options>): Promise<Row> {
  const run = (duration: number) => autocannon({ url, connections: CONNECTIONS, duration, ...options });
  await run(1); // warm-up: JIT, connection pools, caches
  const result = await run(DURATION_SECONDS);
  return {
    scenario,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

async function storm(baseUrl: string) {
  const api = apiClient(baseUrl);
  const durations: number[] = [];
  let charges = 0;
  for (let round = 0; round < STORM_ROUNDS; round++) {
    const key = newKey();
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: STORM_SIZE }, () => api.pay({ amount: 1000, currency: "usd" }, { key })));
    durations.push(performance.now() - started);
    if (results.some((r) => r.status >= 500)) throw new Error("storm: a 5xx");
    charges += (await api.paymentsWithKey(key)).length;
  }
  durations.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(durations[Math.min(durations.length - 1, Math.floor(p * durations.length))]!);
  return { rounds: STORM_ROUNDS, size: STORM_SIZE, chargesPerStorm: charges / STORM_ROUNDS, p50AllAnsweredMs: pct(0.5), p99AllAnsweredMs: pct(0.99) };
}

async function main() {
  if (!existsSync(path.join(TEST_DIST_DIR, "BUILD_ID"))) {
    execFileSync("npx", ["next", "build", "--webpack"], { stdio: "inherit", env: { ...process.env, NEXT_DIST_DIR: TEST_DIST_DIR } });
  }
  const db = await createScratchDatabase("oncepay_bench");
  const server = await startServer({ databaseUrl: db.url, env: { LOG_LEVEL: "warn", FAULT_INJECTION: "0" } });
  try {
    const replayKey = newKey();
    await apiClient(server.url).pay({ amount: 1000, currency: "usd" }, { key: replayKey });
    const rows = [
      await load("floor (GET /api/health)", `${server.url}/api/health`, {}),
      await load("fresh (new key each)", `${server.url}/api/v1/payments`, {
        requests: [
          {
            method: "POST",
            body: BODY,
            setupRequest: (request) => ({ ...request, headers: { ...AUTH, "idempotency-key": newKey() } }),
          },
        ],
      }),
      await load("replay (one completed key)", `${server.url}/api/v1/payments`, {
        method: "POST",
        body: BODY,
        headers: { ...AUTH, "idempotency-key": replayKey },
      }),
    ];
    const stormResult = await storm(server.url);
    const floor = rows[0]!.requestsPerSecond;
    const summary = {
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      durationSeconds: DURATION_SECONDS,
      connections: CONNECTIONS,
      scenarios: rows,
      ratios: {
        freshOverFloor: +(rows[1]!.requestsPerSecond / floor).toFixed(2),
        replayOverFloor: +(rows[2]!.requestsPerSecond / floor).toFixed(2),
      },
      storm: stormResult,
    };
    console.table(rows);
    console.table([stormResult]);
    console.log(JSON.stringify(summary));
  } finally {
    await server.stop();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
