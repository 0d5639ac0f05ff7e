import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { ConflictError, IdempotencyEngine, MismatchError, RecordState } from "@oncepay/idempotency";
import { freshMemoryEngine, OPERATION, OPTIONS, payment, recordIn, request, SCOPE } from "./support/engine-calls";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

// Time on the store's clock: leases that run out, retention that ends, executors overtaken.
let store: MemoryStore;
let engine: IdempotencyEngine<MemoryTx>;

beforeEach(() => ({ store, engine } = freshMemoryEngine()));

const anotherInstance = () => new IdempotencyEngine(store, OPTIONS);
const recordOf = (key?: string) => recordIn(store, key);

/** A process claims the key and dies before completing. */
const orphanClaim = () =>
  store.insertOrGet({
    scope: SCOPE,
    operation: OPERATION,
    key: "key-1",
    fingerprint: "fp-A",
    ownerToken: randomUUID(),
    lockTimeoutSeconds: OPTIONS.lockTimeoutSeconds,
    ttlSeconds: OPTIONS.ttlSeconds,
  });

describe("IdempotencyEngine.run over time", () => {
  it("takes over an in-progress record whose lease ran out, as execution 2", async () => {
    const orphan = await orphanClaim();
    expect(orphan?.owned).toBe(true);

    store.advance(OPTIONS.lockTimeoutSeconds - 1);
    await expect(engine.run(request({ execute: payment("early").execute }))).rejects.toBeInstanceOf(ConflictError);

    store.advance(1);
    const op = payment("takeover");
    const result = await engine.run(request({ execute: op.execute }));
    expect(result.outcome).toBe("executed");
    expect(op.calls.map((c) => c.execution)).toEqual([2]);
    expect(store.committed).toEqual([{ label: "takeover", execution: 2 }]);
    expect(recordOf().executions).toBe(2);
  });

  it("refuses to take over an expired lease for a different body", async () => {
    await orphanClaim();
    store.advance(OPTIONS.lockTimeoutSeconds + 1);
    await expect(engine.run(request({ fingerprint: "fp-B", execute: payment("x").execute }))).rejects.toBeInstanceOf(MismatchError);
    expect(store.committed).toEqual([]);
  });

  it("deletes a completed record past its TTL and executes the key again", async () => {
    const first = await engine.run(request({ execute: payment("old").execute }));
    store.advance(OPTIONS.ttlSeconds - 1);
    expect((await engine.run(request({ execute: payment("dup").execute }))).outcome).toBe("replayed");

    store.advance(1);
    const op = payment("new");
    const result = await engine.run(request({ fingerprint: "fp-B", execute: op.execute }));
    expect(result.outcome).toBe("executed");
    expect(result.recordId).not.toBe(first.recordId);
    expect(op.calls.map((c) => c.execution)).toEqual([1]);
    expect(store.committed).toEqual([
      { label: "old", execution: 1 },
      { label: "new", execution: 1 },
    ]);
    expect(store.size).toBe(1);
  });

  it("answers as a duplicate when its claim is taken over before it completes", async () => {
    const original = payment("original");
    const taker = payment("taker");
    const result = await engine.run(
      request({
        // The original stalls past its lease; meanwhile a retry takes the key over and completes.
        beforeExecute: async () => {
          store.advance(OPTIONS.lockTimeoutSeconds + 1);
          const taken = await anotherInstance().run(request({ execute: taker.execute }));
          expect(taken.outcome).toBe("executed");
        },
        execute: original.execute,
      }),
    );
    expect(original.calls).toHaveLength(1); // it ran, but nothing of it committed
    expect(result.outcome).toBe("replayed");
    expect(JSON.parse(result.response.body)).toMatchObject({ id: "pay_taker" });
    expect(store.committed).toEqual([{ label: "taker", execution: 2 }]);
  });

  it("rolls back an execution whose claim was taken over mid-flight", async () => {
    const taker = payment("taker");
    const result = await engine.run(
      request({
        execute: async (tx, context) => {
          tx.effects.push({ label: "original", execution: context.execution });
          store.advance(OPTIONS.lockTimeoutSeconds + 1);
          await anotherInstance().run(request({ execute: taker.execute }));
          return { status: 201, body: { id: "pay_original" } };
        },
      }),
    );
    expect(result.outcome).toBe("replayed");
    expect(JSON.parse(result.response.body)).toMatchObject({ id: "pay_taker" });
    expect(store.committed).toEqual([{ label: "taker", execution: 2 }]);
    expect(recordOf().state).toBe(RecordState.Completed);
  });

  it("answers as a duplicate when its effect fails because the claim was taken over", async () => {
    const taker = payment("taker");
    const result = await engine.run(
      request({
        execute: async () => {
          store.advance(OPTIONS.lockTimeoutSeconds + 1);
          await anotherInstance().run(request({ execute: taker.execute }));
          // In PostgreSQL: the taker's payment holds the unique claim id, so this insert fails.
          throw new Error("duplicate key value violates unique constraint");
        },
      }),
    );
    expect(result.outcome).toBe("replayed");
    expect(JSON.parse(result.response.body)).toMatchObject({ id: "pay_taker" });
    expect(store.committed).toEqual([{ label: "taker", execution: 2 }]);
  });
});
