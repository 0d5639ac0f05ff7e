import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@/server/db/client";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";
import { connectRedis, whenReady } from "@/server/db/redis";
import { statement, type Sql } from "@/server/db/sql";
import { PostgresStore } from "@oncepay/idempotency/postgres";
import { RedisFastPath } from "@oncepay/idempotency/redis";
import { deleteByPrefix } from "./redis-keys";
import { createScratchDatabase } from "./scratch-db";
import type { StoreUnderTest } from "@oncepay/idempotency/testing";

// A trace the suite can count: a row in `merchants`, the one table with no foreign keys to satisfy.
const INSERT_TRACE = statement("test_store_trace", "INSERT INTO merchants (id, name, api_key_hash) VALUES ($1, 'effect', $1)");
const COUNT_TRACES = statement("test_store_traces", "SELECT count(*)::int AS n FROM merchants WHERE id = $1");

export interface SqlStoreUnderTest extends StoreUnderTest<Sql> {
  store: PostgresStore<Sql>;
}

function onConnection(db: ReturnType<typeof connect>, release: () => Promise<void>, notifyChannel?: string): SqlStoreUnderTest {
  return {
    store: new PostgresStore(db.sql, { notifyChannel }),
    effect: async (tx, marker) => void (await tx.count(INSERT_TRACE, [marker])),
    traces: async (marker) => (await db.sql.rows<{ n: number }>(COUNT_TRACES, [marker]))[0]?.n ?? 0,
    clock: "real",
    async close() {
      await db.pool.end();
      await release();
    },
  };
}

/** PostgresStore on a scratch database of the local PostgreSQL, announcing watched records as the app's does. */
export async function onPostgres(): Promise<SqlStoreUnderTest> {
  const scratch = await createScratchDatabase();
  return onConnection(connect(scratch.url, 8, true), () => scratch.drop(), "oncepay_test_idempotency");
}

/** PostgresStore on the embedded PGlite, with its one connection, as the app runs it. */
export async function onPglite(): Promise<SqlStoreUnderTest> {
  const embedded = await startEmbeddedDatabase(mkdtempSync(path.join(tmpdir(), "oncepay-store-")));
  await migrate(embedded.connectionString);
  return onConnection(connect(embedded.connectionString, EMBEDDED_POOL_SIZE, false), () => embedded.stop());
}

/** RedisFastPath on real Redis in front of PostgresStore on a scratch database, under a prefix of its own. */
export async function behindRedis(redisUrl: string): Promise<StoreUnderTest<Sql>> {
  const inner = await onPostgres();
  const redis = connectRedis(redisUrl);
  await whenReady(redis, 5_000);
  const prefix = `oncepay-test:${randomUUID()}:`;
  return {
    ...inner,
    store: new RedisFastPath(inner.store, redis, { prefix }),
    async close() {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      await inner.close();
    },
  };
}
