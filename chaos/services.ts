import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import getPort from "get-port";
import { privateNats, type PrivateNats } from "@/fixtures/nats-server";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import { privateRedis, type PrivateRedis } from "@/fixtures/redis-server";
import { createScratchCluster, type ScratchCluster } from "@/fixtures/scratch-cluster";
import { startServer, type ServerProcess } from "@/fixtures/server-process";
import { startWorker, type WorkerProcess } from "@/fixtures/worker-process";
import { startProxy, type Proxy } from "./proxy";

/** What the run's processes say about themselves, for the checker's log scan. */
export interface ProcessLog {
  name: string;
  text: string;
}

/** A process that can die and come back under its name (an app instance, an event worker). */
export interface Restartable {
  name: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Every incarnation's output, oldest first. */
  output(): string;
  /** Incarnations that went without being killed (a crash, an exit on an error), each with its last lines. */
  deaths(): string[];
}

export interface Services {
  proxy: Proxy;
  provider: SimulatorProcess;
  database: ScratchCluster;
  redis: PrivateRedis;
  nats: PrivateNats;
  instances: Restartable[];
  /** relay, receipts, revenue: each its own process. */
  workers: Restartable[];
  logs(): ProcessLog[];
  stop(): Promise<void>;
}

/**
 * Timings short enough that a one-minute run goes through them: leases run out, the completer and
 * the reaper sweep, cleanup runs. Variables today's server does not know yet are ignored by it, so
 * they are passed already. The rule the server is getting: TTL >= 2 × max(lock timeout, processing
 * timeout); the TTL is also far longer than any client keeps retrying, so no key executes twice.
 */
export const APP_TIMINGS = {
  IDEMPOTENCY_TTL_SECONDS: "3600",
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "3",
  COMPLETER_INTERVAL_SECONDS: "1",
  PROCESSING_TIMEOUT_SECONDS: "10",
  REAPER_INTERVAL_SECONDS: "2",
  CLEANUP_INTERVAL_SECONDS: "2",
  // The cleanup deletes request history older than about 20 s throughout the run. Inbox rows and
  // webhook events are kept: the checker counts every event in every inbox (the cleanup of those,
  // and the safe point that stands in for a deleted inbox row, have their own integration test).
  EVENTS_RETENTION_DAYS: "1",
  REQUEST_LOG_RETENTION_DAYS: "0.00025",
  // timeout × (retries + 1) under the 3 s lease: a slow provider call is not taken over while it runs.
  PROVIDER_TIMEOUT_MS: "1200",
  PROVIDER_MAX_NETWORK_RETRIES: "1",
} as const;

const EVENT_TIMINGS = { EVENTS_LEASE_SECONDS: "2", EVENTS_POLL_MS: "100", NATS_ACK_WAIT_SECONDS: "3" } as const;

export const WORKERS = [["relay"], ["receipts"], ["revenue"]] as const;

/** What is running now, so an interrupted run (Ctrl-C) can still stop it all: a scratch cluster outlives its parent. */
const running = new Set<() => Promise<void>>();

export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/** Everything a run needs, of its own: nothing shared with the machine's PostgreSQL, Redis or NATS. */
export async function startServices(options: { instances: number }): Promise<Services> {
  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    running.delete(stop);
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    started.length = 0;
  };
  running.add(stop);
  try {
    const secret = `whsec_chaos_${randomBytes(8).toString("hex")}`;
    const stream = `CHAOS_${randomBytes(4).toString("hex").toUpperCase()}`;
    const ports = await Promise.all(Array.from({ length: options.instances }, () => getPort({ host: "127.0.0.1" })));
    const proxy = await startProxy(() => ports);
    started.push({ stop: () => proxy.close() });
    const [database, redis, nats, provider] = await Promise.all([
      createScratchCluster(),
      privateRedis(),
      privateNats({ running: true }),
      startSimulatorProcess({
        env: {
          PROVIDER_WEBHOOK_URL: `${proxy.url}/api/v1/webhooks/provider`,
          PROVIDER_WEBHOOK_SECRET: secret,
          PROVIDER_WEBHOOK_CHAOS: "1",
          // Retried until delivered, never more than 2 s apart: the drain after the faults stays short.
          PROVIDER_WEBHOOK_MAX_ATTEMPTS: "100",
          PROVIDER_WEBHOOK_MAX_BACKOFF_MS: "2000",
          PROVIDER_WEBHOOK_TIMEOUT_MS: "5000",
          // Chaos holds each copy back up to 1.5 s: more at once, or the backlog outgrows the run.
          PROVIDER_WEBHOOK_CONCURRENCY: "16",
        },
      }),
    ]);
    started.push({ stop: () => database.destroy() }, { stop: () => redis.stop() }, { stop: () => nats.dispose() });
    started.push({
      stop: async () => {
        await provider.stop();
        rmSync(provider.dataDir, { recursive: true, force: true });
      },
    });
    const eventEnv = { NATS_URL: nats.url, NATS_STREAM: stream, LOG_LEVEL: "info", ...EVENT_TIMINGS };
    const appEnv: Record<string, string> = {
      ...APP_TIMINGS,
      ...eventEnv,
      PROVIDER_URL: provider.url,
      PROVIDER_WEBHOOK_SECRET: secret,
      REDIS_URL: redis.url,
      EVENT_WORKERS: "none",
      ONCEPAY_DEMO: "1",
      DATABASE_POOL_SIZE: "5",
      // The merchant limits stay on, but above anything the clients send: a 429 is not a fault under test.
      MERCHANT_RATE_LIMIT: "100000",
      MERCHANT_MAX_IN_FLIGHT: "10000",
      // Info: one line per call, for the post-mortem in the records; the checker reads error and above.
      LOG_LEVEL: "info",
    };
    const instances = ports.map((port, i) => restartable(`app-${i + 1}`, () => startServer({ port, databaseUrl: database.url, env: appEnv })));
    const workers = WORKERS.map((names) =>
      restartable(names.join("+"), () => startWorker([...names], { ...APP_TIMINGS, ...eventEnv, DATABASE_URL: database.url })),
    );
    for (const p of [...instances, ...workers]) started.push({ stop: () => p.kill() });
    await Promise.all([...instances, ...workers].map((p) => p.start()));
    const logs = () => [
      ...instances.map((i) => ({ name: i.name, text: i.output() })),
      ...workers.map((w) => ({ name: w.name, text: w.output() })),
      { name: "simulator", text: provider.output() },
    ];
    return { proxy, provider, database, redis, nats, instances, workers, logs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A process under a fixed name whose every incarnation's output is kept. */
function restartable(name: string, launch: () => Promise<ServerProcess> | WorkerProcess): Restartable {
  let current: ServerProcess | WorkerProcess | undefined;
  const past: string[] = [];
  const deaths: string[] = [];
  return {
    name,
    async kill() {
      const dying = current;
      current = undefined;
      if (!dying) return;
      await dying.kill();
      past.push(dying.output());
    },
    async start() {
      if (current) return;
      const launched = await launch();
      current = launched;
      void launched.exited.then(() => {
        if (current !== launched) return; // killed on purpose
        current = undefined;
        past.push(launched.output());
        deaths.push(`${name} exited on its own: ${launched.output().trim().split("\n").slice(-5).join(" | ").slice(-800)}`);
      });
    },
    output: () => [...past, current?.output() ?? ""].join("\n"),
    deaths: () => [...deaths],
  };
}
