/**
 * `npm run bench:wait`: how soon a duplicate that waits (`Prefer: wait=N`) answers after its
 * original's commit, on one instance and across two on one PostgreSQL. Each original is held
 * (`Simulate-Failure: delay=300`) so that its duplicate arrives while it is in flight; the gap
 * between the two answers, as the client sees them, is the wake-up's latency (target: 50 ms).
 */
import { API_KEYS, newKey, sleep } from "../fixtures";
import { startSimulatorProcess } from "../fixtures/simulator-process";
import { ensureTestBuild, startServer } from "../fixtures/server-process";
import { createScratchDatabase } from "../tests/support/scratch-db";

const PAIRS = Number(process.env.BENCH_WAIT_PAIRS ?? 40);
const AUTH = { authorization: `Bearer ${API_KEYS.alice}`, "content-type": "application/json" };
const BODY = JSON.stringify({ amount: 1000, currency: "usd" });

function pay(base: string, key: string, headers: Record<string, string>) {
  return fetch(`${base}/api/v1/payments`, { method: "POST", headers: { ...AUTH, "idempotency-key": key, ...headers }, body: BODY }).then(async (res) => {
    await res.arrayBuffer();
    return { status: res.status, replayed: res.headers.get("idempotent-replayed") === "true", at: performance.now() };
  });
}

async function gaps(original: string, duplicate: string): Promise<number[]> {
  const found: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const key = newKey();
    const first = pay(original, key, { "simulate-failure": "delay=300" });
    await sleep(100); // claimed by then: the delay holds it 300 ms after the claim
    const second = await pay(duplicate, key, { prefer: "wait=5" });
    const done = await first;
    if (done.status !== 201 || second.status !== 201 || !second.replayed)
      throw new Error(`bench: expected 201 and a waited replay, got ${done.status} and ${second.status}`);
    found.push(second.at - done.at);
  }
  return found;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10;
};

async function main() {
  ensureTestBuild();
  const db = await createScratchDatabase("oncepay_bench");
  const provider = await startSimulatorProcess();
  const env = { LOG_LEVEL: "warn", FAULT_INJECTION: "1", PROVIDER_URL: provider.url };
  const servers = await Promise.all([startServer({ databaseUrl: db.url, env }), startServer({ databaseUrl: db.url, env })]);
  try {
    await gaps(servers[0].url, servers[1].url); // warm both
    const same = await gaps(servers[0].url, servers[0].url);
    const across = await gaps(servers[0].url, servers[1].url);
    const row = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) });
    console.table({ "same instance": row(same), "across instances (NOTIFY)": row(across) });
    console.log(
      JSON.stringify({
        schema: "oncepay-bench-wait/1",
        pairs: PAIRS,
        sameInstanceMs: row(same),
        acrossInstancesMs: row(across),
        target: { p99Ms: { atMost: 50 } },
      }),
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await provider.stop();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
