import { beforeEach, describe, expect, it } from "vitest";
import type { CallObservation, IdempotentCall } from "@/server/calls/call";
import { CallPipeline } from "@/server/calls/pipeline";
import { IdempotencyEngine } from "@/server/idempotency/engine";
import { problem, ProblemError } from "@/server/problem";
import { MemoryStore, type MemoryTx } from "@/tests/support/memory-store";

// A caller with no HTTP at all (as a job or an event consumer will be): the pipeline alone.
let store: MemoryStore;
let observed: CallObservation[];
let calls: CallPipeline<MemoryTx>;

beforeEach(() => {
  store = new MemoryStore();
  observed = [];
  calls = new CallPipeline(new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: 30 }), (o) => observed.push(o));
});

function job(overrides: Partial<IdempotentCall<MemoryTx, { amount: number }>> = {}): IdempotentCall<MemoryTx, { amount: number }> {
  return {
    operation: "ledger.settle",
    via: "job",
    scope: () => "alice",
    key: () => "settle-2026-11-23",
    input: () => ({ amount: 700 }),
    value: ({ amount }) => ({ amount, currency: "usd" }),
    effect: (tx, { scope, input, execution }) => {
      tx.effects.push({ scope, amount: input.amount, execution: execution.execution });
      return Promise.resolve({ status: 201, body: { settled: input.amount } });
    },
    ...overrides,
  };
}

describe("CallPipeline", () => {
  it("runs an operation once, replays it after, and observes each call once", async () => {
    const first = await calls.run(job());
    const second = await calls.run(job());
    expect(first).toMatchObject({ outcome: "executed", key: "settle-2026-11-23", response: { status: 201, body: '{"settled":700}' } });
    expect(second).toMatchObject({ outcome: "replayed", response: { status: 201, body: '{"settled":700}' } });
    expect(store.committed).toEqual([{ scope: "alice", amount: 700, execution: 1 }]);
    expect(
      observed.map(({ via, operation, scope, key, outcome, status, amount, currency }) => ({ via, operation, scope, key, outcome, status, amount, currency })),
    ).toEqual([
      { via: "job", operation: "ledger.settle", scope: "alice", key: "settle-2026-11-23", outcome: "executed", status: 201, amount: 700, currency: "usd" },
      { via: "job", operation: "ledger.settle", scope: "alice", key: "settle-2026-11-23", outcome: "replayed", status: 201, amount: 700, currency: "usd" },
    ]);
    expect(observed.every((o) => o.latencyMs >= 0 && o.unexpected === undefined)).toBe(true);
  });

  it("answers another input under the same key as a mismatch (422), executing nothing", async () => {
    await calls.run(job());
    const other = await calls.run(job({ input: () => ({ amount: 701 }) }));
    expect(other).toMatchObject({ outcome: "mismatch", problem: { status: 422, code: "idempotency_key_reused" } });
    expect(store.committed).toHaveLength(1);
    expect(observed.at(-1)).toMatchObject({ outcome: "mismatch", status: 422 });
  });

  it("turns a refused step into a rejection, keeping what was learned before it", async () => {
    const result = await calls.run(
      job({
        input: () => {
          throw ProblemError.of("validation_failed", "amount: must be at least 1");
        },
      }),
    );
    expect(result).toMatchObject({ outcome: "rejected", key: "settle-2026-11-23", problem: { status: 400, code: "validation_failed" } });
    expect(observed).toEqual([expect.objectContaining({ scope: "alice", key: "settle-2026-11-23", outcome: "rejected", status: 400 })]);
    expect(store.size).toBe(0);
  });

  it("releases the key after an unexpected failure, which is observed with the error", async () => {
    const boom = new Error("effect blew up");
    const failed = await calls.run(job({ effect: () => Promise.reject(boom) }));
    expect(failed).toMatchObject({ outcome: "failed", problem: { status: 500, code: "internal_error" } });
    expect(observed[0]!.unexpected).toBe(boom);
    expect(await calls.run(job())).toMatchObject({ outcome: "executed" });
  });

  it("withholds the answer of a fresh execution under the lost-response fault, and replays it after", async () => {
    const lost = await calls.run(job({ fault: () => ({ mode: "lost-response" }) }));
    expect(lost).toMatchObject({ outcome: "executed", problem: problem("simulated_lost_response", expect.any(String)) });
    expect(observed[0]).toMatchObject({ outcome: "executed", status: 502 });
    expect(await calls.run(job())).toMatchObject({ outcome: "replayed", response: { status: 201 } });
  });
});

describe("CallPipeline: the merchant in-flight cap", () => {
  it("applies to REST and tRPC calls only: a job, a webhook or a consumer is never refused", async () => {
    const capped = new CallPipeline(new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: 30 }), (o) => observed.push(o), {
      merchantMaxInFlight: 1,
    });
    // One key of alice held in flight (claimed, never completed).
    await store.insertOrGet({
      scope: "alice",
      operation: "payment.create",
      key: "held",
      fingerprint: "x",
      ownerToken: crypto.randomUUID(),
      lockTimeoutSeconds: 30,
      ttlSeconds: 3600,
    });
    for (const via of ["job", "webhook", "consumer"] as const) {
      expect(await capped.run(job({ via, key: () => `k-${via}` }))).toMatchObject({ outcome: "executed" });
    }
    for (const via of ["rest", "trpc"] as const) {
      expect(await capped.run(job({ via, key: () => `k-${via}` }))).toMatchObject({
        outcome: "rejected",
        problem: { status: 429, code: "too_many_in_flight" },
        headers: { "retry-after": "1" },
      });
    }
  });
});

describe("CallPipeline: a batch of calls decided by their effect (runBatch)", () => {
  // A transaction as the store's: effects buffered, committed only if `fn` returns.
  const transaction = async <T>(fn: (tx: MemoryTx) => Promise<T>): Promise<T> => {
    const tx: MemoryTx = { effects: [] };
    const result = await fn(tx);
    store.committed.push(...tx.effects);
    return result;
  };
  const items = ["evt_1", "evt_2", "evt_3"].map((key) => ({ scope: "consumer:receipts", key }));

  it("runs them in one transaction, claims no key, and observes each as one call", async () => {
    const result = await calls.runBatch({
      operation: "event.consume",
      via: "consumer",
      items,
      transaction,
      effect: (tx) => {
        tx.effects.push("evt_1", "evt_3");
        return Promise.resolve(["executed", "replayed", "executed"] as const);
      },
    });
    expect(result).toEqual({ outcomes: ["executed", "replayed", "executed"] });
    expect(store.committed).toEqual(["evt_1", "evt_3"]);
    expect(store.size).toBe(0);
    expect(observed.map(({ via, operation, scope, key, outcome, status }) => ({ via, operation, scope, key, outcome, status }))).toEqual([
      { via: "consumer", operation: "event.consume", scope: "consumer:receipts", key: "evt_1", outcome: "executed", status: 200 },
      { via: "consumer", operation: "event.consume", scope: "consumer:receipts", key: "evt_2", outcome: "replayed", status: 200 },
      { via: "consumer", operation: "event.consume", scope: "consumer:receipts", key: "evt_3", outcome: "executed", status: 200 },
    ]);
  });

  it("commits nothing of a batch that throws, and observes each call failed unless told the caller retries them", async () => {
    const boom = new Error("apply blew up");
    const failing = {
      operation: "event.consume",
      via: "consumer" as const,
      items,
      transaction,
      effect: (tx: MemoryTx) => {
        tx.effects.push("evt_1");
        return Promise.reject(boom);
      },
    };
    expect(await calls.runBatch(failing, { observeFailure: () => false })).toMatchObject({ problem: { code: "internal_error" }, error: boom });
    expect(observed).toEqual([]);
    expect(await calls.runBatch(failing)).toMatchObject({ error: boom });
    expect(observed.map((o) => [o.key, o.outcome, o.status, o.unexpected])).toEqual(items.map((i) => [i.key, "failed", 500, boom]));
    expect(store.committed).toEqual([]);
  });

  it("rolls back a batch whose effect does not say what became of every call", async () => {
    const result = await calls.runBatch({
      operation: "event.consume",
      via: "consumer",
      items,
      transaction,
      effect: (tx) => {
        tx.effects.push("evt_1");
        return Promise.resolve(["executed"] as const);
      },
    });
    expect(result).toMatchObject({ problem: { code: "internal_error" } });
    expect(store.committed).toEqual([]);
  });
});
