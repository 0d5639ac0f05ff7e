import { database } from "../db/client";
import { redis, whenReady } from "../db/redis";
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

/** Where the app keeps a database's entries in Redis: one namespace per database identity. */
export function fastPathPrefix(databaseIdentity: string): string {
  return `oncepay:${databaseIdentity}:`;
}

async function create(): Promise<IdempotencyEngine<Sql>> {
  const db = await database();
  let store: IdempotencyStore<Sql> = new PostgresStore(db.sql);
  const client = redis();
  if (client) {
    // Waited once, at start: without it the first requests find Redis still connecting.
    await whenReady(client, 1_000);
    store = new RedisFastPath(store, client, {
      prefix: fastPathPrefix(db.identity),
      onEvent: (result) => metrics.fastPath.inc({ result }),
    });
  }
  return new IdempotencyEngine(store, {
    ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    lockTimeoutSeconds: env.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
  });
}
