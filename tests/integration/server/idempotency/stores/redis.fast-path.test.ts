import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { poll } from "@/fixtures";
import { connect } from "@/server/db/client";
import { connectRedis, whenReady } from "@/server/db/redis";
import { statement, type Sql } from "@/server/db/sql";
import { type ClaimRequest, IdempotencyEngine, type IdempotencyStore, type InsertResult, MismatchError, type RunRequest } from "@oncepay/idempotency";
import { PostgresStore } from "@oncepay/idempotency/postgres";
import { type FastPathEvent, RedisFastPath } from "@oncepay/idempotency/redis";
import { deleteByPrefix } from "@/tests/support/redis-keys";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";

/** The PostgreSQL store, counting the claims that reach it. */
class CountingStore extends PostgresStore<Sql> implements IdempotencyStore<Sql> {
  claims = 0;
  override insertOrGet(request: ClaimRequest): Promise<InsertResult> {
    this.claims++;
    return super.insertOrGet(request);
  }
}

const INSERT_MARKER = statement("test_fast_path_marker", "INSERT INTO merchants (id, name, api_key_hash) VALUES ($1, 'effect', $1)");

describe("the Redis fast path in front of PostgreSQL", () => {
  let scratch: ScratchDatabase;
  let db: ReturnType<typeof connect>;
  let redis: Redis;
  let postgres: CountingStore;
  let events: FastPathEvent[];
  let prefix: string;
  const engine = (store: IdempotencyStore<Sql>, ttlSeconds = 3600) => new IdempotencyEngine(store, { ttlSeconds, lockTimeoutSeconds: 30 });
  const fastPath = (inner: IdempotencyStore<Sql>, client: Redis = redis) =>
    new RedisFastPath(inner, client, { prefix, onEvent: (event) => events.push(event) });

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    db = connect(scratch.url, 4, true);
    redis = connectRedis(inject("redisUrl"));
    await whenReady(redis, 5_000);
    expect(await redis.ping()).toBe("PONG");
  });
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const p of prefixes) await deleteByPrefix(redis, p);
    redis?.disconnect();
    await db?.pool.end();
    await scratch?.drop();
  });

  const fresh = () => {
    postgres = new CountingStore(db.sql);
    events = [];
    prefix = `oncepay-test:${randomUUID()}:`;
    prefixes.push(prefix);
  };

  const run = (key: string, fingerprint = "fp-1"): RunRequest<Sql> => ({
    scope: "merchant-1",
    operation: "test.op",
    key,
    fingerprint,
    execute: async (tx) => {
      const marker = `m_${randomUUID()}`;
      await tx.count(INSERT_MARKER, [marker]);
      return { status: 201, body: { marker }, headers: { "content-type": "application/json" }, resourceId: marker };
    },
  });
  const redisKey = (key: string) => `${prefix}idem:${JSON.stringify(["merchant-1", "test.op", key])}`;
  /** The fast path writes behind the answer: what a test does with the entry waits until it is there. */
  const inRedis = (key: string) =>
    poll(async () => (await redis.exists(redisKey(key))) === 1, { timeoutMs: 5_000, intervalMs: 10, message: `${key} was never cached` });

  it("answers a replay from Redis alone: the database is not asked", async () => {
    fresh();
    const e = engine(fastPath(postgres));
    const key = randomUUID();
    const first = await e.run(run(key));
    await inRedis(key);
    const claimsAfterFirst = postgres.claims;
    const replays = [await e.run(run(key)), await e.run(run(key)), await e.run(run(key))];
    for (const replay of replays) {
      expect(replay.outcome).toBe("replayed");
      expect(replay.response).toEqual(first.response);
    }
    expect(postgres.claims).toBe(claimsAfterFirst);
    expect(events.filter((e) => e === "hit")).toHaveLength(3);
  });

  it("refuses another body from the cache too (422), still without the database", async () => {
    fresh();
    const e = engine(fastPath(postgres));
    const key = randomUUID();
    await e.run(run(key));
    await inRedis(key);
    const claims = postgres.claims;
    await expect(e.run(run(key, "fp-other"))).rejects.toBeInstanceOf(MismatchError);
    expect(postgres.claims).toBe(claims);
  });

  it("caches a record completed elsewhere on its first read, then serves it", async () => {
    fresh();
    const key = randomUUID();
    const first = await engine(postgres).run(run(key)); // an instance without Redis
    const e = engine(fastPath(postgres));
    expect((await e.run(run(key))).outcome).toBe("replayed"); // miss: from PostgreSQL, then cached
    await inRedis(key);
    const claims = postgres.claims;
    const cached = await e.run(run(key));
    expect(cached.response).toEqual(first.response);
    expect(postgres.claims).toBe(claims);
    expect(events).toEqual(["miss", "hit"]);
  });

  it("lets the cached entry lapse no later than the record itself", async () => {
    fresh();
    const key = randomUUID();
    await engine(fastPath(postgres), 60).run(run(key));
    await inRedis(key);
    // The record first, Redis second: if Redis lapses first, its later reading is the smaller.
    const holder = await postgres.insertOrGet({ ...claimOf(key), ownerToken: randomUUID() });
    if (!holder || holder.owned || !holder.record) throw new Error("expected the completed record");
    const pttl = await redis.pttl(redisKey(key));
    expect(pttl).toBeGreaterThan(55_000);
    // Redis counts whole milliseconds and the database microseconds: one millisecond of rounding.
    expect(pttl).toBeLessThanOrEqual(Math.ceil(holder.record.expiresInMs) + 1);
  });

  it("after retention, the key executes again: Redis forgot it with the database", async () => {
    fresh();
    const e = engine(fastPath(postgres), 1);
    const key = randomUUID();
    const first = await e.run(run(key));
    // Replays until retention ends (by the database's clock), then the key executes afresh.
    const again = await poll(
      async () => {
        const result = await e.run(run(key));
        return result.outcome !== "replayed" && result;
      },
      { timeoutMs: 6_000, intervalMs: 100, message: "the key never executed again after its retention" },
    );
    expect(again.outcome).toBe("executed");
    expect(again.response.body).not.toBe(first.response.body);
  });

  it("a garbled entry is a miss, not a failure", async () => {
    fresh();
    const e = engine(fastPath(postgres));
    const key = randomUUID();
    const first = await e.run(run(key));
    await inRedis(key);
    await redis.set(redisKey(key), "{not json", "PX", 60_000);
    const replay = await e.run(run(key));
    expect(replay.outcome).toBe("replayed");
    expect(replay.response).toEqual(first.response);
    expect(events).toContain("error");
  });

  it("with Redis unreachable every request still gets the right answer, from PostgreSQL", async () => {
    fresh();
    const down = connectRedis("redis://127.0.0.1:1");
    try {
      const e = engine(fastPath(postgres, down));
      const key = randomUUID();
      const first = await e.run(run(key));
      expect(first.outcome).toBe("executed");
      const replay = await e.run(run(key));
      expect(replay.outcome).toBe("replayed");
      expect(replay.response).toEqual(first.response);
      await expect(e.run(run(key, "fp-other"))).rejects.toBeInstanceOf(MismatchError);
      expect(events.filter((e) => e === "error").length).toBeGreaterThanOrEqual(3);
      expect(events).not.toContain("hit");
    } finally {
      down.disconnect();
    }
  });

  function claimOf(key: string): ClaimRequest {
    return { scope: "merchant-1", operation: "test.op", key, fingerprint: "fp-1", ownerToken: randomUUID(), lockTimeoutSeconds: 30, ttlSeconds: 60 };
  }
});
