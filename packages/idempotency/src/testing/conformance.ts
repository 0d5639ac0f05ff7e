import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "./poll.js";
import { LostOwnershipError } from "../errors.js";
import type { IdempotencyRecord, OwnedClaim, StoredResponse } from "../record.js";
import type { ClaimRequest, Completion, IdempotencyStore } from "../store.js";

/** A store, and what the suite needs around it to watch its effects and its clock. */
export interface StoreUnderTest<Tx> {
  store: IdempotencyStore<Tx>;
  /** Leaves a trace of `marker`, written through `tx` only: it commits or rolls back with it. */
  effect(tx: Tx, marker: string): Promise<void>;
  /** How many traces of `marker` were committed. */
  traces(marker: string): Promise<number>;
  /**
   * The store's clock. A fake's is moved by hand, and what time does must then hold at once; a real
   * store's runs by itself, and the suite polls for what time does, bounded.
   */
  clock: { advance(seconds: number): void } | "real";
  close(): Promise<void>;
}

/** How far past its due the suite waits for something time does on a real clock. */
const REAL_CLOCK_SLACK_MS = 5_000;

/** A claim of the suite's scope and operation for `key`, a new owner each time. */
export function testClaim(key: string, over: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    scope: "merchant-1",
    operation: "test.op",
    key,
    fingerprint: "fp-1",
    ownerToken: randomUUID(),
    lockTimeoutSeconds: 30,
    ttlSeconds: 3600,
    ...over,
  };
}

/**
 * What every IdempotencyStore must do, whatever it runs on: the engine decides between these
 * steps and relies on each being atomic, owner-guarded and judged by the store's own clock. Call it
 * at the top level of a vitest file; `open` makes a fresh store (and is closed after the suite).
 */
export function describeStoreConformance<Tx>(name: string, open: () => Promise<StoreUnderTest<Tx>>): void {
  describe(`${name}: the IdempotencyStore contract`, () => {
    let sut: StoreUnderTest<Tx>;
    beforeAll(async () => {
      sut = await open();
    });
    afterAll(async () => {
      await sut?.close();
    });

    const request = testClaim;

    async function claim(key: string, over: Partial<ClaimRequest> = {}): Promise<OwnedClaim> {
      const result = await sut.store.insertOrGet(request(key, over));
      if (!result?.owned) throw new Error(`expected to own the claim on ${key}`);
      return result.claim;
    }

    /** The record holding `key`, as a duplicate would find it (the key must be held). */
    async function holder(key: string): Promise<IdempotencyRecord> {
      // null: the record vanished between the insert and the read, as the store port allows.
      const found = await poll(() => sut.store.insertOrGet(request(key)), { timeoutMs: 2_000, message: `no answer for ${key}` });
      if (found.owned || !found.record) throw new Error(`expected a holder of ${key}, but the probe ${found.owned ? "claimed it" : "was refused"}`);
      return found.record;
    }

    /** Lets `seconds` pass on the store's clock, then the record once `done` holds of it. */
    async function after(seconds: number, key: string, done: (record: IdempotencyRecord) => boolean, what: string) {
      if (sut.clock !== "real") sut.clock.advance(seconds);
      const timeoutMs = sut.clock === "real" ? seconds * 1000 + REAL_CLOCK_SLACK_MS : 0;
      return poll(
        async () => {
          const record = await holder(key);
          return done(record) && record;
        },
        { timeoutMs, intervalMs: 100, message: `${key}: ${what}` },
      );
    }

    const responseOf = (marker: string): StoredResponse => ({
      status: 201,
      headers: { "content-type": "application/json" },
      body: `{"m":"${marker}"}`,
    });
    const completing =
      (marker: string) =>
      async (tx: Tx): Promise<Completion> => {
        await sut.effect(tx, marker);
        return { response: responseOf(marker), resourceId: marker };
      };
    const marker = () => `m_${randomUUID()}`;

    it("the first insert owns the key; the next sees the holder, in progress, lease alive", async () => {
      const key = randomUUID();
      const first = request(key);
      const owned = await sut.store.insertOrGet(first);
      expect(owned).toMatchObject({ owned: true, claim: { key, fingerprint: "fp-1", ownerToken: first.ownerToken, executions: 1 } });
      const second = await sut.store.insertOrGet(request(key, { fingerprint: "fp-2" }));
      expect(second).toMatchObject({
        owned: false,
        record: { state: "in_progress", fingerprint: "fp-1", leaseExpired: false, expired: false, executions: 1, response: null },
      });
    });

    it("scope and operation are part of the key", async () => {
      const key = randomUUID();
      await claim(key);
      expect((await sut.store.insertOrGet(request(key, { scope: "merchant-2" })))?.owned).toBe(true);
      expect((await sut.store.insertOrGet(request(key, { operation: "other.op" })))?.owned).toBe(true);
    });

    it("20 concurrent inserts of one key: exactly one owner", async () => {
      const key = randomUUID();
      const results = await Promise.all(Array.from({ length: 20 }, () => sut.store.insertOrGet(request(key))));
      expect(results.filter((r) => r?.owned)).toHaveLength(1);
    });

    it("execute and complete commit together; the stored response comes back, kept for the TTL", async () => {
      const key = randomUUID();
      const c = await claim(key);
      const m = marker();
      const response = await sut.store.executeAndComplete(c, 3600, completing(m));
      expect(response).toEqual(responseOf(m));
      expect(await sut.traces(m)).toBe(1);
      const seen = await holder(key);
      expect(seen).toMatchObject({ state: "completed", ownerToken: null, resourceId: m, response: responseOf(m), expired: false });
      expect(seen.expiresInMs).toBeGreaterThan(3_540_000);
      expect(seen.expiresInMs).toBeLessThanOrEqual(3_600_000);
    });

    it("an effect that throws rolls back, its error passes through, and the record waits for release", async () => {
      const key = randomUUID();
      const c = await claim(key);
      const m = marker();
      const boom = new Error("boom");
      await expect(
        sut.store.executeAndComplete(c, 3600, async (tx) => {
          await sut.effect(tx, m);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await sut.traces(m)).toBe(0);
      expect(await holder(key)).toMatchObject({ state: "in_progress" });
      expect(await sut.store.release(c)).toBe(true);
      expect(await holder(key)).toMatchObject({ state: "released", ownerToken: null, response: null });
    });

    it("only the owner completes or releases: a stale token changes nothing", async () => {
      const key = randomUUID();
      const c = await claim(key);
      const impostor = { ...c, ownerToken: randomUUID() };
      const m = marker();
      await expect(sut.store.executeAndComplete(impostor, 3600, completing(m))).rejects.toBeInstanceOf(LostOwnershipError);
      expect(await sut.traces(m)).toBe(0);
      expect(await sut.store.release(impostor)).toBe(false);
      expect(await holder(key)).toMatchObject({ state: "in_progress" });
    });

    it("leases are judged by the store's clock, and a takeover is a compare-and-swap", async () => {
      const key = randomUUID();
      const original = await claim(key, { lockTimeoutSeconds: 1 });
      const seen = await after(1, key, (r) => r.leaseExpired, "the lease never ran out");
      const takers = await Promise.all([1, 2, 3, 4].map(() => sut.store.takeOver(seen, request(key))));
      const winners = takers.filter((t) => t !== null && t !== "at_capacity");
      expect(winners).toHaveLength(1);
      expect(winners[0]!.executions).toBe(2);
      // The original executor wakes up: its completion is refused and its effect rolled back.
      const m = marker();
      await expect(sut.store.executeAndComplete(original, 3600, completing(m))).rejects.toBeInstanceOf(LostOwnershipError);
      expect(await sut.traces(m)).toBe(0);
      expect(await sut.store.release(original)).toBe(false);
      await sut.store.executeAndComplete(winners[0]!, 3600, completing(`w_${m}`));
      expect(await sut.traces(`w_${m}`)).toBe(1);
    });

    it("a live lease cannot be taken over", async () => {
      const key = randomUUID();
      await claim(key);
      expect(await sut.store.takeOver(await holder(key), request(key))).toBeNull();
    });

    it("a completed record cannot be taken over", async () => {
      const key = randomUUID();
      await sut.store.executeAndComplete(await claim(key), 3600, completing(marker()));
      expect(await sut.store.takeOver(await holder(key), request(key))).toBeNull();
      expect(await holder(key)).toMatchObject({ state: "completed", executions: 1 });
    });

    it("a released key is taken over at once, for any body, as the next execution", async () => {
      const key = randomUUID();
      await sut.store.release(await claim(key));
      const taken = await sut.store.takeOver(await holder(key), request(key, { fingerprint: "fp-2" }));
      expect(taken).toMatchObject({ key, fingerprint: "fp-2", executions: 2 });
      expect(await holder(key)).toMatchObject({ state: "in_progress", fingerprint: "fp-2", executions: 2, leaseExpired: false });
    });

    it("a takeover refuses a record that changed since it was read, even one free to take", async () => {
      const key = randomUUID();
      const original = await claim(key, { lockTimeoutSeconds: 1 });
      const abandoned = await after(1, key, (r) => r.leaseExpired, "the lease never ran out");
      expect(await sut.store.release(original)).toBe(true);
      expect(await sut.store.takeOver(abandoned, request(key))).toBeNull();
      expect(await sut.store.takeOver(await holder(key), request(key))).toMatchObject({ executions: 2 });
    });

    it("release says the claim is no longer ours once it completed", async () => {
      const key = randomUUID();
      const c = await claim(key);
      const m = marker();
      await sut.store.executeAndComplete(c, 3600, completing(m));
      expect(await sut.store.release(c)).toBe(false);
      expect(await holder(key)).toMatchObject({ state: "completed", response: responseOf(m) });
    });

    it("expired completed records are deleted, then the key is free", async () => {
      const key = randomUUID();
      await sut.store.executeAndComplete(await claim(key), 1, completing(marker()));
      await sut.store.deleteIfExpired(await holder(key));
      expect((await sut.store.insertOrGet(request(key)))?.owned).toBe(false);
      const old = await after(1, key, (r) => r.expired, "the record never expired");
      await sut.store.deleteIfExpired(old);
      expect((await sut.store.insertOrGet(request(key)))?.owned).toBe(true);
    });

    it("a record past retention stays while its lease is alive", async () => {
      const key = randomUUID();
      await claim(key, { ttlSeconds: 1 });
      const old = await after(1, key, (r) => r.expired, "the record never expired");
      expect(old.leaseExpired).toBe(false);
      await sut.store.deleteIfExpired(old);
      expect(await holder(key)).toMatchObject({ state: "in_progress", executions: 1 });
    });

    it("past retention, a record stopped past a recovery point is kept for its own request", async () => {
      const key = randomUUID();
      const c = await claim(key, { ttlSeconds: 1, input: { amount: 3 } });
      await sut.store.checkpoint(c, "charged", 30, () => Promise.resolve({ ok: true }));
      expect(await sut.store.release(c)).toBe(true);
      const old = await after(1, key, (r) => r.expired, "the record never expired");
      await sut.store.deleteIfExpired(old);
      expect(await holder(key)).toMatchObject({ id: c.recordId, state: "released", recoveryPoint: "charged" });
    });

    it("watch, where offered: true while the record is in progress, false once it has an outcome", async () => {
      if (!sut.store.watch) return;
      const key = randomUUID();
      const c = await claim(key);
      expect(await sut.store.watch(c.recordId)).toBe(true);
      await sut.store.executeAndComplete(c, 3600, completing(marker()));
      expect(await sut.store.watch(c.recordId)).toBe(false);
    });

    it("a checkpoint commits its step's writes with the recovery point, and a takeover gets it back", async () => {
      const key = randomUUID();
      const c = await claim(key, { lockTimeoutSeconds: 1, input: { amount: 1 } });
      const m = marker();
      const value = await sut.store.checkpoint(c, "created", 1, async (tx) => {
        await sut.effect(tx, m);
        return { id: m };
      });
      expect(value).toEqual({ id: m });
      expect(await sut.traces(m)).toBe(1);
      const stale = await after(1, key, (r) => r.leaseExpired, "the lease never ran out");
      expect(stale.recoveryPoint).toBe("created");
      const taker = await sut.store.takeOver(stale, request(key, { input: { amount: 1 } }));
      if (taker === "at_capacity") throw new Error("no cap was asked for");
      expect(taker?.checkpoints).toMatchObject({ created: { value: { id: m } } });
      expect(taker?.checkpoints.created?.at).toEqual(expect.any(String));
    });

    it("a stale owner's checkpoint rolls back its step and throws LostOwnershipError", async () => {
      const key = randomUUID();
      const c = await claim(key, { lockTimeoutSeconds: 1 });
      const stale = await after(1, key, (r) => r.leaseExpired, "the lease never ran out");
      expect(await sut.store.takeOver(stale, request(key))).not.toBeNull();
      const m = marker();
      await expect(sut.store.checkpoint(c, "created", 30, (tx) => sut.effect(tx, m))).rejects.toBeInstanceOf(LostOwnershipError);
      expect(await sut.traces(m)).toBe(0);
    });

    it("released past a recovery point: kept for the same request, and listed as abandoned after the grace", async () => {
      const key = randomUUID();
      const input = { amount: 7, key };
      const c = await claim(key, { input });
      await sut.store.checkpoint(c, "charged", 30, () => Promise.resolve({ ok: true }));
      expect(await sut.store.release(c)).toBe(true);
      expect(await holder(key)).toMatchObject({ state: "released", recoveryPoint: "charged" });
      const listed = async () => (await sut.store.abandoned(1000, 1)).find((a) => a.key === key);
      if (sut.clock !== "real") sut.clock.advance(2);
      const found = await poll(listed, { timeoutMs: sut.clock === "real" ? 1000 + REAL_CLOCK_SLACK_MS : 0, intervalMs: 100, message: "never abandoned" });
      expect(found).toEqual({ scope: "merchant-1", operation: "test.op", key, input, recoveryPoint: "charged" });
      // Listed only while younger than a given age (the completer's), by the store's clock.
      expect((await sut.store.abandoned(1000, 1, 3600)).some((a) => a.key === key)).toBe(true);
      if (sut.clock !== "real") sut.clock.advance(2);
      await poll(async () => !(await sut.store.abandoned(1000, 1, 1)).some((a) => a.key === key), {
        timeoutMs: sut.clock === "real" ? 1000 + REAL_CLOCK_SLACK_MS : 0,
        intervalMs: 100,
        message: "still listed past its age",
      });
      // A record with no recovery point has nothing to finish: never listed.
      const plain = randomUUID();
      expect(await sut.store.release(await claim(plain, { input }))).toBe(true);
      if (sut.clock !== "real") sut.clock.advance(2);
      expect((await sut.store.abandoned(1000, 0)).some((a) => a.key === plain)).toBe(false);
    });
    describe("a cap on a scope's keys in flight (maxInFlight)", () => {
      const AT_CAPACITY = { owned: false, record: null, refused: "at_capacity" };

      it("a fresh claim beyond it is refused and writes nothing; other scopes and held keys are answered as usual", async () => {
        const scope = `capped-${randomUUID()}`;
        const capped = (key: string, over: Partial<ClaimRequest> = {}) => request(key, { scope, maxInFlight: 2, ...over });
        const first = await claim(randomUUID(), { scope, maxInFlight: 2 });
        const second = await claim(randomUUID(), { scope, maxInFlight: 2, operation: "other.op" });
        const refused = randomUUID();
        expect(await sut.store.insertOrGet(capped(refused))).toEqual(AT_CAPACITY);
        // Nothing was written: with room again, the same key is a fresh claim, execution 1.
        expect((await sut.store.insertOrGet(request(refused, { scope, maxInFlight: 3 })))?.owned).toBe(true);
        expect((await sut.store.insertOrGet(request(randomUUID(), { scope: `${scope}-other`, maxInFlight: 2 })))?.owned).toBe(true);
        // A duplicate of a key in flight is its holder's, cap or not.
        expect(await sut.store.insertOrGet(capped(second.key, { operation: "other.op" }))).toMatchObject({ owned: false, record: { state: "in_progress" } });
        // Without a cap, nothing is counted.
        expect((await sut.store.insertOrGet(request(randomUUID(), { scope })))?.owned).toBe(true);
        // A completed key is replayed at the cap: replays never count.
        await sut.store.executeAndComplete(first, 3600, completing(marker()));
        expect(await sut.store.insertOrGet(capped(first.key, { maxInFlight: 1 }))).toMatchObject({ owned: false, record: { state: "completed" } });
      });

      it("only live claims count: completed, released and lease-expired records free their place", async () => {
        const scope = `capped-${randomUUID()}`;
        const capped = (key: string, over: Partial<ClaimRequest> = {}) => request(key, { scope, maxInFlight: 1, ...over });
        const done = await claim(randomUUID(), { scope, maxInFlight: 1 });
        expect(await sut.store.insertOrGet(capped(randomUUID()))).toEqual(AT_CAPACITY);
        await sut.store.executeAndComplete(done, 3600, completing(marker()));
        const released = await claim(randomUUID(), { scope, maxInFlight: 1 });
        expect(await sut.store.release(released)).toBe(true);
        await claim(randomUUID(), { scope, maxInFlight: 1, lockTimeoutSeconds: 1 });
        expect(await sut.store.insertOrGet(capped(randomUUID()))).toEqual(AT_CAPACITY);
        // The released key, retried at the cap: its takeover is refused and the record left as it was.
        const seen = await sut.store.insertOrGet(capped(released.key));
        if (!seen || seen.owned || !seen.record) throw new Error("expected the released record");
        expect(seen.record.state).toBe("released");
        expect(await sut.store.takeOver(seen.record, capped(released.key))).toBe("at_capacity");
        expect(await sut.store.insertOrGet(capped(released.key))).toMatchObject({ owned: false, record: { state: "released", executions: 1 } });
        // The live claim's lease runs out: it no longer counts, by the store's clock.
        if (sut.clock !== "real") sut.clock.advance(1);
        const fresh = randomUUID();
        const claimed = await poll(
          async () => {
            const result = await sut.store.insertOrGet(capped(fresh));
            return result?.owned ? result.claim : null;
          },
          { timeoutMs: sut.clock === "real" ? 1000 + REAL_CLOCK_SLACK_MS : 0, intervalMs: 100, message: "an expired lease still counted" },
        );
        expect(claimed.executions).toBe(1);
        // Now full again; the released key is taken over once there is room.
        expect(await sut.store.takeOver(seen.record, capped(released.key))).toBe("at_capacity");
        expect(await sut.store.takeOver(seen.record, capped(released.key, { maxInFlight: 2 }))).toMatchObject({ executions: 2 });
      });
    });
  });
}
