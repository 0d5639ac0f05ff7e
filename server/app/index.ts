import type { Redis } from "ioredis";
import { FailedAuthentications, FAILED_AUTHENTICATIONS_PER_MINUTE } from "../auth/failures";
import { Authenticator } from "../auth/merchant";
import { CallPipeline, IdempotencyEngine, type IdempotencyStore } from "@oncepay/idempotency";
import { openDatabase, type Database } from "../db/client";
import { connectRedis, fastPathPrefix, whenReady } from "../db/redis";
import type { Sql } from "../db/sql";
import { env, type Env } from "../env";
import { PostgresStore } from "@oncepay/idempotency/postgres";
import { RedisFastPath } from "@oncepay/idempotency/redis";
import { logger } from "../observability/logger";
import { metrics, recordJobRun } from "../observability/metrics";
import { RequestLogWriter } from "../observability/request-log";
import { Scheduler, type Job } from "../jobs/scheduler";
import { EventWorkers } from "../events/workers";
import { receiptsConsumer } from "../receipts/consumer";
import { revenueConsumer } from "../projections/revenue";
import { createPaymentOperation, type CreatePaymentOperation } from "../payments/operation";
import { createRefundOperation, type CreateRefundOperation } from "../refunds/operation";
import type { PaymentProvider } from "../provider/provider";
import { StripeProvider } from "../provider/stripe";
import { hostname } from "node:os";
import { Listener } from "../db/listener";
import { newId } from "../ids";
import { backgroundJobs } from "./jobs";
import { consumerCrashHook, crashHook } from "./crash";
import { createOperators, operators } from "./operators";
import type { OperatorGate } from "../operators/gate";
import { createLimits, type Limits } from "../limits";

/** Where completions of records a duplicate waits on are announced (see PostgresStore). */
const WAKE_CHANNEL = "oncepay_idempotency";
import { callObserver } from "./observer";
import { appErrors } from "../map-error";

/** The ways in that carry a merchant's own requests, capped by MERCHANT_MAX_IN_FLIGHT. */
const MERCHANT_VIAS: ReadonlySet<string> = new Set(["rest", "trpc"]);

/**
 * The composition root: configuration in, the process's parts out, wired once. Nothing else in
 * the server opens a database, connects to Redis or builds an engine.
 */
export interface App {
  config: Env;
  db: Database;
  /** API key → principal (merchant and key kind), known keys cached; failures counted per address. */
  auth: Authenticator;
  /** Merchants' request rate and keys in flight, and the limiters of other limits, on one shared store. */
  limits: Limits;
  /** Null without `REDIS_URL`. */
  redis: Redis | null;
  engine: IdempotencyEngine<Sql>;
  /** The idempotent-call pipeline: every way in runs its calls through it. */
  calls: CallPipeline<Sql>;
  requestLog: RequestLogWriter;
  provider: PaymentProvider;
  /** The operations, bound to their dependencies: spread into a call by every way in. */
  operations: { createPayment: CreatePaymentOperation; createRefund: CreateRefundOperation };
  /** The relay and the consumers this process runs; started with the app. */
  events: EventWorkers;
  /** Who may use the operator surfaces (server/operators/). */
  operators: OperatorGate;
  /**
   * Starts what runs in the background: the wake-up listener, the scheduler with its jobs
   * (completer, reaper, cleanup, and the event path's), JetStream's consumers. `events`: the event
   * path's parts only (`npm run events:worker`).
   */
  start(only?: "all" | "events"): void;
  close(): Promise<void>;
}

/** `seed: false`: the merchants' keys are left as the database has them (a process that serves no merchant). */
export async function createApp(config: Env, options: { seed?: boolean } = {}): Promise<App> {
  const db = await openDatabase(
    {
      url: config.DATABASE_URL,
      poolSize: config.DATABASE_POOL_SIZE,
      dataDir: config.ONCEPAY_DATA_DIR,
      merchants: options.seed === false ? undefined : config.merchants,
      bounds: {
        connectMs: config.DATABASE_CONNECT_TIMEOUT_MS,
        statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        transactionMs: config.DATABASE_TRANSACTION_TIMEOUT_MS,
      },
    },
    logger,
  );
  // Other instances on one PostgreSQL learn of each other's completions by NOTIFY (a waiting
  // duplicate's original may run elsewhere); the embedded database has one process, so no need.
  const shared = !db.embedded && config.DATABASE_URL !== undefined;
  let store: IdempotencyStore<Sql> = new PostgresStore(db.sql, shared ? { notifyChannel: WAKE_CHANNEL } : {});
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL) : null;
  if (redis) {
    // Waited once, at start: without it the first requests find Redis still connecting.
    await whenReady(redis, 1_000);
    store = new RedisFastPath(store, redis, {
      prefix: fastPathPrefix(db.identity),
      onEvent: (result) => metrics.fastPath.inc({ result }),
    });
  }
  const engine = new IdempotencyEngine(store, {
    ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    lockTimeoutSeconds: config.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
    remoteWakeups: shared,
    onRecoveryPoint: crashHook(config, logger),
  });
  const listener = shared
    ? new Listener({
        url: config.DATABASE_URL!,
        channel: WAKE_CHANNEL,
        onMessage: (recordId) => engine.wake(recordId),
        onConnected: () => engine.wakeAll(),
        log: logger,
      })
    : null;
  const requestLog = new RequestLogWriter(db.sql, { log: logger });
  // Counted across instances: in Redis, else in PostgreSQL; the embedded database is one process.
  const limits = createLimits({
    redis,
    sql: db.embedded ? null : db.sql,
    prefix: fastPathPrefix(db.identity),
    ratePerSecond: config.MERCHANT_RATE_LIMIT,
    maxInFlight: config.MERCHANT_MAX_IN_FLIGHT,
  });
  const calls = new CallPipeline(engine, {
    observe: callObserver(requestLog, logger),
    // Merchants' own calls only: webhooks, consumers and jobs finish what was already admitted.
    maxInFlight: (via) => (MERCHANT_VIAS.has(via) ? limits.maxInFlight : undefined),
    mapError: appErrors,
  });
  const provider = new StripeProvider({
    secretKey: config.STRIPE_SECRET_KEY,
    url: config.PROVIDER_URL,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    maxNetworkRetries: config.PROVIDER_MAX_NETWORK_RETRIES,
  });
  const operations = { createPayment: createPaymentOperation(provider), createRefund: createRefundOperation(provider) };
  const jobs = backgroundJobs({ config, sql: db.sql, engine, calls, provider, operations, log: logger });
  const events = new EventWorkers(db.sql, calls, [receiptsConsumer, revenueConsumer], {
    run: config.EVENT_WORKERS,
    natsUrl: config.NATS_URL,
    stream: config.NATS_STREAM,
    duplicateWindowMs: config.NATS_DUPLICATE_WINDOW_SECONDS * 1000,
    ackWaitMs: config.NATS_ACK_WAIT_SECONDS * 1000,
    intervalMs: config.EVENTS_POLL_MS,
    leaseMs: config.EVENTS_LEASE_SECONDS * 1000,
    graceSeconds: config.EVENTS_GRACE_SECONDS,
    afterCommit: consumerCrashHook(config, logger),
    log: logger,
  });
  const owner = `${hostname()}:${process.pid}:${newId("run").slice(-8)}`;
  const scheduler = (list: Job[]) => new Scheduler(db.sql, list, { owner, leaseMs: config.JOBS_LEASE_SECONDS * 1000, log: logger, onRun: recordJobRun });
  let running: Scheduler | null = null;
  return {
    config,
    db,
    auth: new Authenticator(
      db.sql,
      new FailedAuthentications(limits.makeLimiter({ keyPrefix: "auth_failures", points: FAILED_AUTHENTICATIONS_PER_MINUTE, durationSeconds: 60 })),
    ),
    limits,
    redis,
    engine,
    calls,
    requestLog,
    provider,
    operations,
    events,
    // The process's configuration shares the gate pages and /api/metrics use; any other, its own.
    operators: config === env ? operators() : createOperators(config),
    start(only = "all") {
      // Only requests wait for one another: an event worker needs no news of completions.
      if (only === "all") listener?.start();
      running = scheduler(only === "events" ? events.jobs() : [...jobs, ...events.jobs()]);
      running.start();
      events.start();
    },
    async close() {
      await listener?.stop();
      await running?.stop();
      await events.stop();
      await requestLog.flush();
      redis?.disconnect();
      await db.close();
    },
  };
}

// On globalThis so that dev-mode module reloads and Next's separate route bundles share one app
// (and one embedded database).
const holder = globalThis as typeof globalThis & { __oncepayApp?: Promise<App> };

/**
 * The process's one App, made on first use: nothing connects at import or build time. Its jobs (the
 * completer) start with it; `instrumentation.ts` makes sure that happens even before any request.
 */
export function app(): Promise<App> {
  holder.__oncepayApp ??= createApp(env).then(
    (made) => {
      made.start();
      return made;
    },
    (error: unknown) => {
      // Not cached: the database may come back, and the next request tries again.
      holder.__oncepayApp = undefined;
      throw error;
    },
  );
  return holder.__oncepayApp;
}
