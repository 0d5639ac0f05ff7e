import { beforeEach, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { poll } from "../src/testing/poll";
import { ConflictError, IdempotencyEngine, MismatchError, RecordState } from "@oncepay/idempotency";
import { freshMemoryEngine, held, OPTIONS, payment, recordIn, request } from "./support/engine-calls";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

let store: MemoryStore;
let engine: IdempotencyEngine<MemoryTx>;

beforeEach(() => ({ store, engine } = freshMemoryEngine()));

const recordOf = (key?: string) => recordIn(store, key);

describe("IdempotencyEngine.run", () => {
  it("executes a new key once and stores the outcome", async () => {
    const op = payment("first");
    const result = await engine.run(request({ execute: op.execute }));

    expect(result.outcome).toBe("executed");
    expect(result.response.status).toBe(201);
    expect(JSON.parse(result.response.body)).toEqual({ id: "pay_first", amount: 1000, currency: "usd", note: "é ✓" });
    expect(op.calls).toEqual([{ recordId: result.recordId, key: "key-1", execution: 1, resumedFrom: null }]);
    expect(store.committed).toEqual([{ label: "first", execution: 1 }]);
    const record = recordOf();
    expect(record.state).toBe(RecordState.Completed);
    expect(record.resourceId).toBe("pay_first");
    expect(record.ownerToken).toBeNull();
    expect(record.response).toEqual(result.response);
  });

  it("replays a duplicate byte for byte without executing again", async () => {
    const first = await engine.run(request({ execute: payment("a", { headers: { Location: "/api/v1/payments/pay_a", "x-thing": "1" } }).execute }));
    const again = payment("b");
    const replay = await engine.run(request({ execute: again.execute }));

    expect(replay.outcome).toBe("replayed");
    expect(replay.recordId).toBe(first.recordId);
    expect(replay.response.status).toBe(first.response.status);
    // Header names are stored lowercased: one spelling per header, whatever the operation used.
    expect(replay.response.headers).toEqual({ location: "/api/v1/payments/pay_a", "x-thing": "1" });
    expect(replay.response.headers).toEqual(first.response.headers);
    expect(Buffer.from(replay.response.body, "utf8").equals(Buffer.from(first.response.body, "utf8"))).toBe(true);
    expect(again.calls).toHaveLength(0);
    expect(store.committed).toEqual([{ label: "a", execution: 1 }]);
  });

  it("keeps keys apart per scope and per operation", async () => {
    await engine.run(request({ execute: payment("alice").execute }));
    const bob = await engine.run(request({ scope: "merchant_bob", execute: payment("bob").execute }));
    const refund = await engine.run(request({ operation: "refund.create", execute: payment("refund").execute }));
    expect(bob.outcome).toBe("executed");
    expect(refund.outcome).toBe("executed");
    expect(store.committed).toHaveLength(3);
  });

  it("refuses a completed key reused with a different fingerprint", async () => {
    await engine.run(request({ execute: payment("a").execute }));
    const other = payment("b");
    const run = engine.run(request({ fingerprint: "fp-B", execute: other.execute }));
    await expect(run).rejects.toBeInstanceOf(MismatchError);
    await expect(run).rejects.toMatchObject({ key: "key-1", kind: "mismatch" });
    expect(other.calls).toHaveLength(0);
    expect(store.committed).toHaveLength(1);
    expect(recordOf().fingerprint).toBe("fp-A");
  });

  it("answers an in-flight duplicate with ConflictError and a retry-after", async () => {
    const slow = held("slow");
    const first = engine.run(request({ execute: slow.execute }));
    await poll(slow.started, { timeoutMs: 1_000, message: "the first run never started executing" });
    expect(recordOf().state).toBe(RecordState.InProgress);

    const dup = payment("dup");
    const error = await engine.run(request({ execute: dup.execute })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    const conflict = error as ConflictError;
    expect(conflict.key).toBe("key-1");
    expect(Number.isInteger(conflict.retryAfterSeconds)).toBe(true);
    expect(conflict.retryAfterSeconds).toBeGreaterThan(0);
    expect(conflict.retryAfterSeconds).toBeLessThanOrEqual(OPTIONS.lockTimeoutSeconds);

    // A different body while in flight is a mismatch, not a conflict.
    await expect(engine.run(request({ fingerprint: "fp-B", execute: dup.execute }))).rejects.toBeInstanceOf(MismatchError);

    slow.release();
    expect((await first).outcome).toBe("executed");
    expect(dup.calls).toHaveLength(0);
    expect((await engine.run(request({ execute: dup.execute }))).outcome).toBe("replayed");
    expect(store.committed).toEqual([{ label: "slow", execution: 1 }]);
  });

  it("propagates an executor's error, releases the key, and lets the next run execute afresh", async () => {
    const boom = new Error("card network down");
    const failing = engine.run(
      request({
        execute: async (tx) => {
          tx.effects.push({ label: "doomed" });
          throw boom;
        },
      }),
    );
    await expect(failing).rejects.toBe(boom);
    const released = recordOf();
    expect(released.state).toBe(RecordState.Released);
    expect(released.ownerToken).toBeNull();
    expect(released.response).toBeNull();
    expect(store.committed).toEqual([]);

    // Released keys are free for any body, and the retry is execution 2 of the same record.
    const retry = payment("retry");
    const result = await engine.run(request({ fingerprint: "fp-B", execute: retry.execute }));
    expect(result.outcome).toBe("executed");
    expect(result.recordId).toBe(released.id);
    expect(retry.calls.map((c) => c.execution)).toEqual([2]);
    expect(store.committed).toEqual([{ label: "retry", execution: 2 }]);
    expect(recordOf().fingerprint).toBe("fp-B");
  });

  it("releases the key when beforeExecute fails, executing nothing", async () => {
    const op = payment("never");
    await expect(engine.run(request({ beforeExecute: async () => Promise.reject(new Error("hook")), execute: op.execute }))).rejects.toThrow("hook");
    expect(op.calls).toHaveLength(0);
    expect(recordOf().state).toBe(RecordState.Released);
  });

  it("stores and replays a deterministic failure such as a 402", async () => {
    const declined = {
      type: "https://example.com/card-declined",
      title: "Card declined",
      status: 402,
      detail: "Your card was declined.",
      code: "card_declined",
      declineCode: "insufficient_funds",
    };
    const first = payment("declined", { status: 402, body: declined, resourceId: undefined });
    const result = await engine.run(request({ execute: first.execute }));
    expect(result.outcome).toBe("executed");
    expect(result.response.status).toBe(402);
    expect(recordOf().state).toBe(RecordState.Completed);
    expect(recordOf().resourceId).toBeNull();

    const second = payment("second");
    const replay = await engine.run(request({ execute: second.execute }));
    expect(replay.outcome).toBe("replayed");
    expect(replay.response).toEqual({ status: 402, headers: {}, body: JSON.stringify(declined) });
    expect(JSON.parse(replay.response.body)).toEqual(declined);
    expect(second.calls).toHaveLength(0);
    expect(store.committed).toEqual([{ label: "declined", execution: 1 }]);
  });

  it("commits exactly one effect among 50 concurrent runs of one key", async () => {
    const calls: number[] = [];
    const runs = Array.from({ length: 50 }, (_, i) =>
      engine
        .run(
          request({
            execute: async (tx) => {
              calls.push(i);
              // The effect takes time, as a real one does: the others arrive while it runs.
              await sleep(5);
              tx.effects.push({ run: i });
              return { status: 201, body: { run: i } };
            },
          }),
        )
        .then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
    );
    const settled = await Promise.all(runs);

    expect(calls).toHaveLength(1);
    expect(store.committed).toHaveLength(1);
    const executed = settled.filter((s) => s.ok && s.result.outcome === "executed");
    expect(executed).toHaveLength(1);
    for (const s of settled) {
      if (s.ok) expect(JSON.parse(s.result.response.body)).toEqual({ run: calls[0] });
      else expect(s.error).toBeInstanceOf(ConflictError);
    }
    expect(store.committed).toEqual([{ run: calls[0] }]);
  });
});
