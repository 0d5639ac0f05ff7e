/**
 * `npm run bench`: what exactly-once costs, measured in one run and reported as ratios.
 *
 * Starts one provider simulator for the whole run, and the production server on a scratch
 * PostgreSQL database (twice: with the Redis fast path when Redis answers, and without), and the
 * naive check-then-act peer beside it, all charging at that provider; loads each with autocannon
 * over loopback; runs storms of concurrent duplicates and counts what they charged, locally and at
 * the provider; runs the engine micro-benchmark; prints a table and, last, one JSON line (`schema`
 * versions its shape).
 */
import { rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { connect, identify } from "../server/db/client";
import { connectRedis, fastPathPrefix, whenReady } from "../server/db/redis";
import { statement } from "../server/db/sql";
import { API_KEYS, newKey } from "../fixtures";
import { providerLedger, startProviderProcess, type ProviderProcess } from "../fixtures/provider-process";
import { createScratchDatabase } from "../tests/support/scratch-db";
import { ensureTestBuild, startServer, type ServerProcess } from "../fixtures/server-process";
import type { CpuTarget } from "./cpu";
import { engineBenchmark } from "./engine";
import { load, warm, type LoadResult, type LoadSettings } from "./load";
import { deleteByPrefix } from "../tests/support/redis-keys";
import { startNaivePeer } from "./naive/process";
import { storm, type StormResult } from "./storm";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SETTINGS: LoadSettings = {
  durationSeconds: number("BENCH_DURATION", 5),
  // Next.js compiles route modules and V8 optimises on first use: a 1 s warm-up left a cold
  // server at two thirds of its steady rate (measured), which read as a cost of the scenario.
  warmupSeconds: number("BENCH_WARMUP", 3),
  connections: number("BENCH_CONNECTIONS", 10),
};
const STORM_SIZE = 200;
const STORM_ROUNDS = number("BENCH_STORM_ROUNDS", 10);
const ENGINE_SECONDS = number("BENCH_ENGINE_SECONDS", 5);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** Set to a directory to get a V8 CPU profile of each server (open it in Chrome DevTools). */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;

const MERCHANT = "alice";
const AUTH = { authorization: `Bearer ${API_KEYS[MERCHANT]}`, "content-type": "application/json" };
const BODY = JSON.stringify({ amount: 1000, currency: "usd" });

const TARGETS = {
  freshOverFloor: { atLeast: 0.5 },
  replayOverFloor: { atLeast: 0.9 },
  wrappedOverBare: { atMost: 1.25 },
  stormChargesPerStorm: { exactly: 1 },
  stormP99AllAnsweredMs: { atMost: 200 },
} as const;

/** The three loads of one payments endpoint: the floor, a new key per request, one completed key. */
function scenarios(baseUrl: string, healthPath: string, paymentsPath: string, replayKey: string) {
  return {
    floor: { url: `${baseUrl}${healthPath}` },
    fresh: {
      url: `${baseUrl}${paymentsPath}`,
      requests: [{ method: "POST" as const, body: BODY, setupRequest: (r: object) => ({ ...r, headers: { ...AUTH, "idempotency-key": newKey() } }) }],
    },
    replay: { url: `${baseUrl}${paymentsPath}`, method: "POST" as const, body: BODY, headers: { ...AUTH, "idempotency-key": replayKey } },
  };
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

// Keep-alive sockets enough for a whole storm: node:http costs the client half what fetch does,
// and the storm should time the server, not the client.
const AGENT = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** The servers' fast-path entries for this scratch database, deleted. */
async function forgetDatabase(redisUrl: string, probe: ReturnType<typeof connect>): Promise<void> {
  const identity = await identify(probe.sql);
  const redis = connectRedis(redisUrl);
  try {
    await whenReady(redis, 2_000);
    await deleteByPrefix(redis, fastPathPrefix(identity));
  } finally {
    redis.disconnect();
  }
}

function post(url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: AGENT, headers: { ...AUTH, "idempotency-key": key } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(BODY);
  });
}

async function main() {
  ensureTestBuild();
  const redisUrl = (await redisAnswers(REDIS_URL)) ? REDIS_URL : null;
  const db = await createScratchDatabase("oncepay_bench");
  const probe = connect(db.url, 2, false);
  const VACUUM = statement("bench_vacuum", "VACUUM ANALYZE");
  const CHECKPOINT = statement("bench_checkpoint", "CHECKPOINT");
  const COUNT = statement("bench_charges", "SELECT count(*)::int AS n FROM payments WHERE merchant_id = $1 AND idempotency_key = $2");
  const charges = async (key: string) => (await probe.sql.rows<{ n: number }>(COUNT, [MERCHANT, key]))[0]?.n ?? 0;
  const PAYMENT_IDS = statement(
    "bench_payment_ids",
    "SELECT id, idempotency_key AS key FROM payments WHERE merchant_id = $1 AND idempotency_key = ANY($2::text[])",
  );
  let provider: ProviderProcess | null = null;
  // The money actually taken: the provider's PaymentIntents for each key's local payments (each
  // carries its payment's id in metadata[oncepay_payment]; the local payment commits before the
  // provider is called, in the app and in the naive peer alike, so none is missed).
  const providerCharges = async (keys: string[]) => {
    if (!provider) throw new Error("bench: no provider");
    const payments = await probe.sql.rows<{ id: string; key: string }>(PAYMENT_IDS, [MERCHANT, keys]);
    const keyOf = new Map(payments.map((p) => [p.id, p.key]));
    const counts = new Map<string, number>();
    for (const intent of (await providerLedger(provider.url)).payment_intents) {
      const key = keyOf.get(intent.metadata.oncepay_payment ?? "");
      if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return keys.map((key) => counts.get(key) ?? 0);
  };
  const servers: ServerProcess[] = [];
  const started = async (providerUrl: string, redis: boolean) => {
    const server = await startServer({
      databaseUrl: db.url,
      nodeArgs: PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [],
      env: {
        LOG_LEVEL: "warn",
        FAULT_INJECTION: "0",
        PROVIDER_URL: providerUrl,
        // Counted as in production, but never reached: the load is one merchant at the machine's limit.
        MERCHANT_RATE_LIMIT: "1000000",
        ...(redis && redisUrl ? { REDIS_URL: redisUrl } : {}),
      },
    });
    servers.push(server);
    return server;
  };
  const postgres: CpuTarget = { name: "postgres" };
  try {
    // One provider for the whole run, its ledger in a temporary directory removed at the end.
    provider = await startProviderProcess();
    const providerUrl = provider.url;
    const plain = await started(providerUrl, false);
    const fast = redisUrl ? await started(providerUrl, true) : null;
    const main = fast ?? plain;
    const replayKey = newKey();
    if ((await post(`${main.url}/api/v1/payments`, replayKey)) !== 201) throw new Error("bench: the first payment failed");
    const providerCpu: CpuTarget = { pid: provider.pid };
    const cpu = (server: { pid: number }) => ({ server: { pid: server.pid }, postgres, provider: providerCpu });

    const ours = scenarios(main.url, "/api/health", "/api/v1/payments", replayKey);
    const oursPlain = scenarios(plain.url, "/api/health", "/api/v1/payments", replayKey);
    // Before each load: a checkpoint and fresh statistics, so that no scenario inherits the
    // previous one's dirty pages or dead rows, nor a checkpoint that lands in the middle of it.
    const settled = async <T>(measure: () => Promise<T>) => {
      await probe.sql.count(VACUUM).catch(() => undefined);
      await probe.sql.count(CHECKPOINT).catch(() => undefined); // needs superuser; skipped without
      return measure();
    };
    // Every server sees every kind of request before anything is measured: V8 and Next.js keep
    // warming for many seconds, and the first scenario measured would otherwise pay for it.
    for (const set of fast ? [ours, oursPlain] : [ours]) {
      for (const options of [set.floor, set.fresh, set.replay]) await warm(SETTINGS, options);
    }
    const results: Record<string, LoadResult> = {};
    // With and without Redis back to back, so that both meet the same machine.
    // The floor again right before each pair: this VM's speed drifts over minutes, and a ratio is
    // only as good as the two numbers being measured under the same conditions.
    results.floor = await settled(() => load(SETTINGS, ours.floor, cpu(main)));
    results.fresh = await settled(() => load(SETTINGS, ours.fresh, cpu(main)));
    if (fast) results.freshWithoutRedis = await settled(() => load(SETTINGS, oursPlain.fresh, cpu(plain)));
    results.floorBeforeReplay = await settled(() => load(SETTINGS, ours.floor, cpu(main)));
    results.replay = await settled(() => load(SETTINGS, ours.replay, cpu(main)));
    if (fast) results.replayWithoutRedis = await settled(() => load(SETTINGS, oursPlain.replay, cpu(plain)));
    const stormResult = await storm({ send: (key) => post(`${main.url}/api/v1/payments`, key), charges, providerCharges }, STORM_SIZE, STORM_ROUNDS);
    const stormWithoutRedis = fast
      ? await storm({ send: (key) => post(`${plain.url}/api/v1/payments`, key), charges, providerCharges }, STORM_SIZE, STORM_ROUNDS)
      : null;
    for (const server of servers.splice(0)) await server.stop();

    const naivePeer = await startNaivePeer(db.url, providerUrl);
    let naive: Record<string, LoadResult | StormResult>;
    try {
      const naiveReplayKey = newKey();
      await post(`${naivePeer.url}/payments`, naiveReplayKey);
      const n = scenarios(naivePeer.url, "/health", "/payments", naiveReplayKey);
      const naiveCpu = { server: { pid: naivePeer.pid }, postgres, provider: providerCpu };
      naive = {
        floor: await settled(() => load(SETTINGS, n.floor, naiveCpu)),
        fresh: await settled(() => load(SETTINGS, n.fresh, naiveCpu)),
        replay: await settled(() => load(SETTINGS, n.replay, naiveCpu)),
        storm: await storm({ send: (key) => post(`${naivePeer.url}/payments`, key), charges, providerCharges }, STORM_SIZE, STORM_ROUNDS),
      };
    } finally {
      await naivePeer.stop();
    }

    const engine = await engineBenchmark(db.url, redisUrl, ENGINE_SECONDS);
    const floor = results.floor.requestsPerSecond;
    const replayFloor = results.floorBeforeReplay.requestsPerSecond;
    const ratio = (a: number, b: number) => +(a / b).toFixed(2);
    const ratios = {
      freshOverFloor: ratio(results.fresh.requestsPerSecond, floor),
      replayOverFloor: ratio(results.replay.requestsPerSecond, replayFloor),
      ...(results.replayWithoutRedis ? { replayWithoutRedisOverFloor: ratio(results.replayWithoutRedis.requestsPerSecond, replayFloor) } : {}),
      wrappedOverBare: engine.ratio,
      wrappedOverBareMedians: engine.ratioOfMedians,
      naiveFreshOverFloor: ratio((naive.fresh as LoadResult).requestsPerSecond, (naive.floor as LoadResult).requestsPerSecond),
      naiveReplayOverFloor: ratio((naive.replay as LoadResult).requestsPerSecond, (naive.floor as LoadResult).requestsPerSecond),
    };
    const met = {
      freshOverFloor: ratios.freshOverFloor >= TARGETS.freshOverFloor.atLeast,
      replayOverFloor: ratios.replayOverFloor >= TARGETS.replayOverFloor.atLeast,
      wrappedOverBare: ratios.wrappedOverBare <= TARGETS.wrappedOverBare.atMost,
      // Once locally and once at the provider: one payment, one PaymentIntent.
      stormChargesPerStorm:
        stormResult.maxChargesInOneStorm === 1 &&
        stormResult.chargesPerStorm === 1 &&
        stormResult.maxProviderChargesInOneStorm === 1 &&
        stormResult.providerChargesPerStorm === 1,
      stormP99AllAnsweredMs: stormResult.p99AllAnsweredMs <= TARGETS.stormP99AllAnsweredMs.atMost,
    };
    const summary = {
      schema: "oncepay-bench/1",
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.version,
      },
      settings: { ...SETTINGS, stormSize: STORM_SIZE, stormRounds: STORM_ROUNDS, engineSeconds: ENGINE_SECONDS, redis: redisUrl !== null },
      scenarios: results,
      storm: stormResult,
      stormWithoutRedis,
      naive,
      engine,
      ratios,
      targets: { ...TARGETS, met },
    };

    const row = (name: string, r: LoadResult) => ({
      scenario: name,
      "req/s": r.requestsPerSecond,
      "p50 ms": r.p50Ms,
      "p99 ms": r.p99Ms,
      failures: r.failures,
      "server µs/req": r.cpuUsPerRequest?.server ?? "",
      "postgres µs/req": r.cpuUsPerRequest?.postgres ?? "",
      "provider µs/req": r.cpuUsPerRequest?.provider ?? "",
    });
    console.log("\nLoad (autocannon, %d connections, %d s each after a %d s warm-up)", SETTINGS.connections, SETTINGS.durationSeconds, SETTINGS.warmupSeconds);
    console.table([
      ...Object.entries(results).map(([name, r]) => row(name, r)),
      ...(["floor", "fresh", "replay"] as const).map((name) => row(`naive ${name}`, naive[name] as LoadResult)),
    ]);
    const stormRow = (name: string, s: StormResult) => ({
      storm: name,
      "charges/storm": s.chargesPerStorm,
      "max charges": s.maxChargesInOneStorm,
      "intents/storm": s.providerChargesPerStorm ?? "",
      "max intents": s.maxProviderChargesInOneStorm ?? "",
      "p50 all answered ms": s.p50AllAnsweredMs,
      "p99 all answered ms": s.p99AllAnsweredMs,
      statuses: JSON.stringify(s.statuses),
    });
    console.log("Storms (%d concurrent duplicates of one key, %d rounds)", STORM_SIZE, STORM_ROUNDS);
    console.table([
      stormRow("oncepay", stormResult),
      ...(stormWithoutRedis ? [stormRow("oncepay without Redis", stormWithoutRedis)] : []),
      stormRow("naive", naive.storm as StormResult),
    ]);
    console.log("Engine micro-benchmark (one call at a time, ms)");
    console.table({ bare: engine.bare, wrapped: engine.wrapped, ...(engine.wrappedWithRedis ? { "wrapped + Redis": engine.wrappedWithRedis } : {}) });
    console.log("Ratios and targets");
    console.table(
      Object.entries(ratios).map(([name, value]) => ({
        ratio: name,
        value,
        target: JSON.stringify(TARGETS[name as keyof typeof TARGETS] ?? ""),
        met: met[name as keyof typeof met] ?? "",
      })),
    );
    console.log(JSON.stringify(summary));
  } finally {
    AGENT.destroy();
    if (redisUrl) await forgetDatabase(redisUrl, probe).catch(() => undefined);
    for (const server of servers) await server.stop();
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
