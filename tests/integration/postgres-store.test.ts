import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@/server/db/client";
import { statement, type Sql } from "@/server/db/sql";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase, type EmbeddedDatabase } from "@/server/db/embedded";
import { migrate } from "@/server/db/migrate";
import { LostOwnershipError } from "@/server/idempotency/errors";
import type { OwnedClaim } from "@/server/idempotency/record";
import { PostgresStore } from "@/server/idempotency/stores/postgres";
import type { ClaimRequest } from "@/server/idempotency/stores/store";
import { createScratchDatabase, type ScratchDatabase } from "../support/scratch-db";

interface Backend {
  connectionString: string;
  poolSize: number;
  close(): Promise<void>;
}

const backends: Record<string, () => Promise<Backend>> = {
  postgres: async () => {
    const db: ScratchDatabase = await createScratchDatabase();
    return { connectionString: db.url, poolSize: 8, close: () => db.drop() };
  },
  embedded: async () => {
    const db: EmbeddedDatabase = await startEmbeddedDatabase(mkdtempSync(path.join(tmpdir(), "oncepay-store-")));
    await migrate(db.connectionString);
    return { connectionString: db.connectionString, poolSize: EMBEDDED_POOL_SIZE, close: () => db.stop() };
  },
};

const INSERT_MARKER = statement("test_marker", "INSERT INTO merchants (id, name, api_key_hash) VALUES ($1, 'effect', $1)");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The same suite on the local PostgreSQL and on the embedded PGlite: one store, one SQL.
describe.each(Object.keys(backends))("PostgresStore on %s", (name) => {
  let backend: Backend;
  let db: ReturnType<typeof connect>;
  let store: PostgresStore<Sql>;

  beforeAll(async () => {
    backend = await backends[name]!();
    db = connect(backend.connectionString, backend.poolSize, name === "postgres");
    store = new PostgresStore(db.sql);
  });
  afterAll(async () => {
    await db?.prisma.$disconnect();
    await db?.pool.end();
    await backend?.close();
  });

  const request = (key: string, over: Partial<ClaimRequest> = {}): ClaimRequest => ({
    scope: "merchant-1",
    operation: "test.op",
    key,
    fingerprint: "fp-1",
    ownerToken: randomUUID(),
    lockTimeoutSeconds: 30,
    ttlSeconds: 3600,
    ...over,
  });

  async function claim(key: string, over: Partial<ClaimRequest> = {}): Promise<OwnedClaim> {
    const result = await store.insertOrGet(request(key, over));
    if (!result?.owned) throw new Error("expected to own the claim");
    return result.claim;
  }

  /** An effect that leaves a trace we can count: a row in `merchants`. */
  const effect = (marker: string) => async (tx: Sql) => {
    await tx.count(INSERT_MARKER, [marker]);
    return { response: { status: 201, headers: { "content-type": "application/json" }, body: `{"m":"${marker}"}` }, resourceId: marker };
  };
  const effects = async (marker: string) => db.prisma.merchant.count({ where: { id: marker } });

  it("the first insert owns the key; the next sees the holder, in progress, lease alive", async () => {
    const key = randomUUID();
    const owned = await store.insertOrGet(request(key));
    expect(owned?.owned).toBe(true);
    const second = await store.insertOrGet(request(key, { fingerprint: "fp-2" }));
    expect(second).toMatchObject({ owned: false, record: { state: "in_progress", fingerprint: "fp-1", leaseExpired: false, expired: false, executions: 1 } });
  });

  it("scope and operation are part of the key", async () => {
    const key = randomUUID();
    await claim(key);
    expect((await store.insertOrGet(request(key, { scope: "merchant-2" })))?.owned).toBe(true);
    expect((await store.insertOrGet(request(key, { operation: "other.op" })))?.owned).toBe(true);
  });

  it("20 concurrent inserts of one key: exactly one owner", async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.insertOrGet(request(key))));
    expect(results.filter((r) => r?.owned)).toHaveLength(1);
  });

  it("execute and complete commit together; the stored response comes back", async () => {
    const key = randomUUID();
    const c = await claim(key);
    const marker = `m_${randomUUID()}`;
    const response = await store.executeAndComplete(c, 3600, effect(marker));
    expect(response.status).toBe(201);
    expect(await effects(marker)).toBe(1);
    const seen = await store.insertOrGet(request(key));
    expect(seen).toMatchObject({ owned: false, record: { state: "completed", resourceId: marker, response: { status: 201, body: `{"m":"${marker}"}`, headers: { "content-type": "application/json" } } } });
  });

  it("an effect that throws rolls back and leaves the record in progress for release", async () => {
    const key = randomUUID();
    const c = await claim(key);
    const marker = `m_${randomUUID()}`;
    await expect(
      store.executeAndComplete(c, 3600, async (tx) => {
        await effect(marker)(tx);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await effects(marker)).toBe(0);
    expect(await store.release(c)).toBe(true);
    const seen = await store.insertOrGet(request(key));
    expect(seen).toMatchObject({ owned: false, record: { state: "released", ownerToken: null } });
  });

  it("only the owner completes or releases: a stale token changes nothing", async () => {
    const key = randomUUID();
    const c = await claim(key);
    const impostor = { ...c, ownerToken: randomUUID() };
    const marker = `m_${randomUUID()}`;
    await expect(store.executeAndComplete(impostor, 3600, effect(marker))).rejects.toBeInstanceOf(LostOwnershipError);
    expect(await effects(marker)).toBe(0);
    expect(await store.release(impostor)).toBe(false);
    const seen = await store.insertOrGet(request(key));
    expect(seen).toMatchObject({ owned: false, record: { state: "in_progress" } });
  });

  it("leases are judged by the database clock, and a takeover is a compare-and-swap", async () => {
    const key = randomUUID();
    const original = await claim(key, { lockTimeoutSeconds: 1 });
    await sleep(1200);
    const seen = await store.insertOrGet(request(key));
    if (!seen || seen.owned) throw new Error("expected the holder");
    expect(seen.record.leaseExpired).toBe(true);
    const takers = await Promise.all([1, 2, 3, 4].map(() => store.takeOver(seen.record, request(key))));
    const winners = takers.filter((t) => t !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.executions).toBe(2);
    // The original executor wakes up: its completion is refused and its effect rolled back.
    const marker = `m_${randomUUID()}`;
    await expect(store.executeAndComplete(original, 3600, effect(marker))).rejects.toBeInstanceOf(LostOwnershipError);
    expect(await effects(marker)).toBe(0);
    await store.executeAndComplete(winners[0]!, 3600, effect(`w_${marker}`));
    expect(await effects(`w_${marker}`)).toBe(1);
  });

  it("a live lease cannot be taken over", async () => {
    const key = randomUUID();
    await claim(key);
    const seen = await store.insertOrGet(request(key));
    if (!seen || seen.owned) throw new Error("expected the holder");
    expect(await store.takeOver(seen.record, request(key))).toBeNull();
  });

  it("expired completed records are deleted, then the key is free", async () => {
    const key = randomUUID();
    const c = await claim(key);
    await store.executeAndComplete(c, 1, effect(`m_${randomUUID()}`));
    const fresh = await store.insertOrGet(request(key));
    if (!fresh || fresh.owned) throw new Error("expected the holder");
    await store.deleteIfExpired(fresh.record);
    expect((await store.insertOrGet(request(key)))?.owned).toBe(false);
    await sleep(1200);
    const old = await store.insertOrGet(request(key));
    if (!old || old.owned) throw new Error("expected the holder");
    expect(old.record.expired).toBe(true);
    await store.deleteIfExpired(old.record);
    expect((await store.insertOrGet(request(key)))?.owned).toBe(true);
  });
});
