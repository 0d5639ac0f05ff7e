import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeEach, describe, expect, it } from "vitest";
import { decide, IdempotencyEngine, type Decision, type ExecutionContext, type OperationResult, type RunRequest } from "@/server/idempotency/engine";
import { ConflictError, MismatchError } from "@/server/idempotency/errors";
import { RecordState, type IdempotencyRecord } from "@/server/idempotency/record";
import { problem } from "@/server/problem";
import { MemoryStore, type MemoryTx } from "./support/memory-store";

const OPTIONS = { ttlSeconds: 3600, lockTimeoutSeconds: 30 };
const SCOPE = "merchant_alice";
const OPERATION = "payment.create";

let store: MemoryStore;
let engine: IdempotencyEngine<MemoryTx>;

beforeEach(() => {
  store = new MemoryStore();
  engine = new IdempotencyEngine(store, OPTIONS);
});

/** An execution that writes one effect and answers 201 with a payment-like body. */
function payment(label: string, extra: Partial<OperationResult> = {}) {
  const calls: ExecutionContext[] = [];
  const execute = (tx: MemoryTx, context: ExecutionContext): Promise<OperationResult> => {
    calls.push(context);
    tx.effects.push({ label, attempt: context.execution });
    return Promise.resolve({ status: 201, body: { id: `pay_${label}`, amount: 1000, currency: "usd", note: "é ✓" }, resourceId: `pay_${label}`, ...extra });
  };
  return { execute, calls };
}

function request(overrides: Partial<RunRequest<MemoryTx>> & Pick<RunRequest<MemoryTx>, "execute">): RunRequest<MemoryTx> {
  return { scope: SCOPE, operation: OPERATION, key: "key-1", fingerprint: "fp-A", ...overrides };
}

/** An engine of another process on the same store: it knows only what the store knows. */
function anotherInstance(): IdempotencyEngine<MemoryTx> {
  return new IdempotencyEngine(store, OPTIONS);
}

function recordOf(key = "key-1"): IdempotencyRecord {
  const record = store.record(SCOPE, OPERATION, key);
  if (!record) throw new Error(`no record for ${key}`);
  return record;
}

describe("IdempotencyEngine.run", () => {
  it("executes a new key once and stores the outcome", async () => {
    const op = payment("first");
    const result = await engine.run(request({ execute: op.execute }));

    expect(result.outcome).toBe("executed");
    expect(result.response.status).toBe(201);
    expect(JSON.parse(result.response.body)).toEqual({ id: "pay_first", amount: 1000, currency: "usd", note: "é ✓" });
    expect(op.calls).toEqual([{ recordId: result.recordId, key: "key-1", execution: 1 }]);
    expect(store.committed).toEqual([{ label: "first", attempt: 1 }]);
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
    expect(store.committed).toEqual([{ label: "a", attempt: 1 }]);
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
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const first = engine.run(
      request({
        execute: async (tx, context) => {
          await gate;
          return payment("slow").execute(tx, context);
        },
      }),
    );
    await sleep(0);
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

    finish();
    expect((await first).outcome).toBe("executed");
    expect(dup.calls).toHaveLength(0);
    expect((await engine.run(request({ execute: dup.execute }))).outcome).toBe("replayed");
    expect(store.committed).toEqual([{ label: "slow", attempt: 1 }]);
  });

  it("answers duplicates of a key this process is executing without asking the store", async () => {
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const first = engine.run(request({ execute: async (tx, context) => (await gate, payment("slow").execute(tx, context)) }));
    await sleep(0);
    const lookups = store.lookups;
    const answers = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => engine.run(request({ fingerprint: i % 10 ? "fp-A" : "fp-B", execute: payment("dup").execute }))));
    expect(store.lookups).toBe(lookups);
    expect(answers.filter((a) => a.status === "rejected" && a.reason instanceof ConflictError)).toHaveLength(45);
    expect(answers.filter((a) => a.status === "rejected" && a.reason instanceof MismatchError)).toHaveLength(5);
    finish();
    await first;
    // Done executing: the next duplicate goes to the store again and gets the replay.
    expect((await engine.run(request({ execute: payment("late").execute }))).outcome).toBe("replayed");
    expect(store.lookups).toBe(lookups + 1);
  });

  it("a burst of one new key costs the store one claim: one executes, the rest are 409 or 422", async () => {
    const op = payment("first");
    const dup = payment("dup");
    const runs = Array.from({ length: 40 }, (_, i) =>
      engine.run(request({ fingerprint: i > 0 && i % 8 === 0 ? "fp-B" : "fp-A", execute: i === 0 ? op.execute : dup.execute })),
    );
    const answers = await Promise.allSettled(runs);
    expect(store.lookups).toBe(1);
    expect(answers[0]).toMatchObject({ status: "fulfilled", value: { outcome: "executed" } });
    const rejected = answers.slice(1).map((a) => (a.status === "rejected" ? a.reason : a.value));
    expect(rejected.filter((e) => e instanceof MismatchError)).toHaveLength(4);
    expect(rejected.filter((e) => e instanceof ConflictError)).toHaveLength(35);
    expect(dup.calls).toHaveLength(0);
    expect(store.committed).toEqual([{ label: "first", attempt: 1 }]);
  });

  it("a burst of replays of one key costs the store one lookup, and each gets the replay", async () => {
    const first = await engine.run(request({ execute: payment("first").execute }));
    const lookups = store.lookups;
    const replays = await Promise.all(Array.from({ length: 25 }, () => engine.run(request({ execute: payment("dup").execute }))));
    expect(store.lookups).toBe(lookups + 1);
    for (const replay of replays) expect(replay).toEqual({ ...first, outcome: "replayed" });
    // A new body in the same burst is refused, on the same shared lookup.
    const mixed = await Promise.allSettled([engine.run(request({ execute: payment("x").execute })), engine.run(request({ fingerprint: "fp-B", execute: payment("y").execute }))]);
    expect(mixed[0]).toMatchObject({ status: "fulfilled", value: { outcome: "replayed" } });
    expect(mixed[1]).toMatchObject({ status: "rejected", reason: expect.any(MismatchError) });
    expect(store.lookups).toBe(lookups + 2);
  });

  it("another instance learns of an in-flight key from the store", async () => {
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const first = engine.run(request({ execute: async (tx, context) => (await gate, payment("slow").execute(tx, context)) }));
    await sleep(0);
    const other = anotherInstance();
    await expect(other.run(request({ execute: payment("dup").execute }))).rejects.toBeInstanceOf(ConflictError);
    await expect(other.run(request({ fingerprint: "fp-B", execute: payment("dup").execute }))).rejects.toBeInstanceOf(MismatchError);
    finish();
    await first;
    expect((await other.run(request({ execute: payment("dup").execute }))).outcome).toBe("replayed");
    expect(store.committed).toEqual([{ label: "slow", attempt: 1 }]);
  });

  it("propagates an executor's error, releases the key, and lets the next run execute afresh", async () => {
    const boom = new Error("card network down");
    const failing = engine.run(
      request({
        execute: (tx) => {
          tx.effects.push({ label: "doomed" });
          return Promise.reject(boom);
        },
      }),
    );
    await expect(failing).rejects.toBe(boom);
    const released = recordOf();
    expect(released.state).toBe(RecordState.Released);
    expect(released.ownerToken).toBeNull();
    expect(released.response).toBeNull();
    expect(store.committed).toEqual([]);

    // Released keys are free for any body, and the retry is attempt 2 of the same record.
    const retry = payment("retry");
    const result = await engine.run(request({ fingerprint: "fp-B", execute: retry.execute }));
    expect(result.outcome).toBe("executed");
    expect(result.recordId).toBe(released.id);
    expect(retry.calls.map((c) => c.execution)).toEqual([2]);
    expect(store.committed).toEqual([{ label: "retry", attempt: 2 }]);
    expect(recordOf().fingerprint).toBe("fp-B");
  });

  it("releases the key when beforeExecute fails, executing nothing", async () => {
    const op = payment("never");
    await expect(
      engine.run(request({ beforeExecute: async () => Promise.reject(new Error("hook")), execute: op.execute })),
    ).rejects.toThrow("hook");
    expect(op.calls).toHaveLength(0);
    expect(recordOf().state).toBe(RecordState.Released);
  });

  it("stores and replays a deterministic failure such as a 402", async () => {
    const declined = problem("card_declined", "Your card was declined.", { declineCode: "insufficient_funds" });
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
    expect(store.committed).toEqual([{ label: "declined", attempt: 1 }]);
  });

  it("takes over an in-progress record whose lease ran out, as attempt 2", async () => {
    // A process claims the key and dies before completing.
    const orphan = await store.insertOrGet({
      scope: SCOPE, operation: OPERATION, key: "key-1", fingerprint: "fp-A",
      ownerToken: randomUUID(), lockTimeoutSeconds: OPTIONS.lockTimeoutSeconds, ttlSeconds: OPTIONS.ttlSeconds,
    });
    expect(orphan?.owned).toBe(true);

    store.advance(OPTIONS.lockTimeoutSeconds - 1);
    await expect(engine.run(request({ execute: payment("early").execute }))).rejects.toBeInstanceOf(ConflictError);

    store.advance(1);
    const op = payment("takeover");
    const result = await engine.run(request({ execute: op.execute }));
    expect(result.outcome).toBe("executed");
    expect(op.calls.map((c) => c.execution)).toEqual([2]);
    expect(store.committed).toEqual([{ label: "takeover", attempt: 2 }]);
    expect(recordOf().executions).toBe(2);
  });

  it("refuses to take over an expired lease for a different body", async () => {
    await store.insertOrGet({
      scope: SCOPE, operation: OPERATION, key: "key-1", fingerprint: "fp-A",
      ownerToken: randomUUID(), lockTimeoutSeconds: OPTIONS.lockTimeoutSeconds, ttlSeconds: OPTIONS.ttlSeconds,
    });
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
    expect(store.committed).toEqual([{ label: "old", attempt: 1 }, { label: "new", attempt: 1 }]);
    expect(store.size).toBe(1);
  });

  it("never stores set-cookie, date or hop-by-hop headers", async () => {
    const headers = {
      "Set-Cookie": "session=secret",
      Date: "Tue, 01 Jan 2030 00:00:00 GMT",
      "set-cookie": "other=1",
      connection: "keep-alive",
      "Transfer-Encoding": "chunked",
      "Keep-Alive": "timeout=5",
      "Content-Type": "application/json",
      "x-request-id": "abc",
    };
    const result = await engine.run(request({ execute: payment("h", { headers }).execute }));
    const kept = { "content-type": "application/json", "x-request-id": "abc" };
    expect(result.response.headers).toEqual(kept);
    expect(recordOf().response?.headers).toEqual(kept);
    expect((await engine.run(request({ execute: payment("d").execute }))).response.headers).toEqual(kept);
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
    expect(store.committed).toEqual([{ label: "taker", attempt: 2 }]);
  });

  it("rolls back an execution whose claim was taken over mid-flight", async () => {
    const taker = payment("taker");
    const result = await engine.run(
      request({
        execute: async (tx, context) => {
          tx.effects.push({ label: "original", attempt: context.execution });
          store.advance(OPTIONS.lockTimeoutSeconds + 1);
          await anotherInstance().run(request({ execute: taker.execute }));
          return { status: 201, body: { id: "pay_original" } };
        },
      }),
    );
    expect(result.outcome).toBe("replayed");
    expect(JSON.parse(result.response.body)).toMatchObject({ id: "pay_taker" });
    expect(store.committed).toEqual([{ label: "taker", attempt: 2 }]);
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
    expect(store.committed).toEqual([{ label: "taker", attempt: 2 }]);
  });

  it("commits exactly one effect among 50 concurrent runs of one key", async () => {
    const calls: number[] = [];
    const runs = Array.from({ length: 50 }, (_, i) =>
      engine
        .run(
          request({
            execute: async (tx) => {
              calls.push(i);
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

describe("decide", () => {
  const states = [RecordState.Completed, RecordState.Released, RecordState.InProgress] as const;

  /** The expected table, written out by hand: [state, same fingerprint, leaseExpired, expired] → decision. */
  const table: [RecordState, boolean, boolean, boolean, Decision][] = [
    [RecordState.Completed, true, false, false, "replay"],
    [RecordState.Completed, true, false, true, "expired"],
    [RecordState.Completed, true, true, false, "replay"],
    [RecordState.Completed, true, true, true, "expired"],
    [RecordState.Completed, false, false, false, "mismatch"],
    [RecordState.Completed, false, false, true, "expired"],
    [RecordState.Completed, false, true, false, "mismatch"],
    [RecordState.Completed, false, true, true, "expired"],
    [RecordState.Released, true, false, false, "take_over"],
    [RecordState.Released, true, false, true, "expired"],
    [RecordState.Released, true, true, false, "take_over"],
    [RecordState.Released, true, true, true, "expired"],
    [RecordState.Released, false, false, false, "take_over"],
    [RecordState.Released, false, false, true, "expired"],
    [RecordState.Released, false, true, false, "take_over"],
    [RecordState.Released, false, true, true, "expired"],
    [RecordState.InProgress, true, false, false, "conflict"],
    [RecordState.InProgress, true, false, true, "conflict"],
    [RecordState.InProgress, true, true, false, "take_over"],
    [RecordState.InProgress, true, true, true, "expired"],
    [RecordState.InProgress, false, false, false, "mismatch"],
    [RecordState.InProgress, false, false, true, "mismatch"],
    [RecordState.InProgress, false, true, false, "mismatch"],
    [RecordState.InProgress, false, true, true, "expired"],
  ];

  it("covers every combination exactly once", () => {
    expect(table).toHaveLength(states.length * 2 * 2 * 2);
    expect(new Set(table.map(([s, f, l, e]) => `${s}/${f}/${l}/${e}`)).size).toBe(table.length);
  });

  it.each(table)("%s, same fingerprint %s, leaseExpired %s, expired %s → %s", (state, same, leaseExpired, expired, decision) => {
    const record: IdempotencyRecord = {
      id: "rec-1",
      scope: SCOPE,
      operation: OPERATION,
      key: "key-1",
      fingerprint: "fp-A",
      state,
      ownerToken: state === RecordState.InProgress ? randomUUID() : null,
      executions: 1,
      response: state === RecordState.Completed ? { status: 201, headers: {}, body: "{}" } : null,
      resourceId: null,
      expiresInMs: expired ? -1 : 1000,
      leaseExpired,
      expired,
    };
    expect(decide(record, same ? "fp-A" : "fp-B")).toBe(decision);
  });
});
