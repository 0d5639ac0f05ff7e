import { database } from "../db/client";
import type { Redis } from "ioredis";
import { redis } from "../db/redis";
import type { Sql } from "../db/sql";
import { env } from "../env";
import { metrics } from "../observability/metrics";
import { IdempotencyEngine } from "./engine";
import { PostgresStore } from "./stores/postgres";
import { RedisFastPath } from "./stores/redis";
import type { IdempotencyStore } from "./stores/store";

const holder = globalThis as typeof globalThis & { __oncepayEngine?: Promise<IdempotencyEngine<Sql>> };

/** The app's engine: the PostgreSQL store, behind the Redis fast path when `REDIS_URL` is set. */
export function defaultEngine(): Promise<IdempotencyEngine<Sql>> {
  holder.__oncepayEngine ??= create().catch((error: unknown) => {
    holder.__oncepayEngine = undefined; // the database may come back: try again next request
    throw error;
  });
  return holder.__oncepayEngine;
}

/** Waited once, at start: without it the first requests find Redis still connecting (a miss each). */
const REDIS_READY_WAIT_MS = 1_000;

function ready(client: Redis, ms: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once("ready", done);
  });
}

async function create(): Promise<IdempotencyEngine<Sql>> {
  const db = await database();
  let store: IdempotencyStore<Sql> = new PostgresStore(db.sql);
  const client = redis();
  if (client) {
    await ready(client, REDIS_READY_WAIT_MS);
    store = new RedisFastPath(store, client, {
      prefix: `oncepay:${db.identity}:`,
      onEvent: (result) => metrics.fastPath.inc({ result }),
    });
  }
  return new IdempotencyEngine(store, {
    ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    lockTimeoutSeconds: env.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
  });
}
