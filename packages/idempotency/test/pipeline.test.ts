import { beforeEach, describe, expect, it } from "vitest";
import { type CallObservation, CallPipeline, IdempotencyEngine, type IdempotentCall } from "@oncepay/idempotency";
import { problem, ProblemError } from "@oncepay/idempotency";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

// A caller with no HTTP at all (as a job or an event consumer will be): the pipeline alone.
let store: MemoryStore;
let observed: CallObservation[];
let calls: CallPipeline<MemoryTx>;

beforeEach(() => {
  store = new MemoryStore();
  observed = [];
  calls = new CallPipeline(new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: 30 }), { observe: (o) => observed.push(o) });
});

function job(overrides: Partial<IdempotentCall<MemoryTx, { amount: number }>> = {}): IdempotentCall<MemoryTx, { amount: number }> {
  return {
    operation: "ledger.settle",
    via: "job",
    scope: () => "alice",
    key: () => "settle-2026-11-23",
    input: () => ({ amount: 700 }),
    attributes: ({ amount }) => ({ amount, currency: "usd" }),
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
      observed.map(({ via, operation, scope, key, outcome, status, attributes }) => ({ via, operation, scope, key, outcome, status, ...attributes })),
    ).toEqual([
      { via: "job", operation: "ledger.settle", scope: "alice", key: "settle-2026-11-23", outcome: "executed", status: 201, amount: 700, currency: "usd" },
      { via: "job", operation: "ledger.settle", scope: "alice", key: "settle-2026-11-23", outcome: "replayed", status: 201, amount: 700, currency: "usd" },
    ]);
    expect(observed.every((o) => o.latencyMs >= 0 && o.unexpected === undefined)).toBe(true);
  });

  it("never stores set-cookie, date or hop-by-hop headers: they belong to one response, not to every retry's", async () => {
    const headers = {
      "Set-Cookie": "session=secret",
      Date: "Tue, 01 Jan 2030 00:00:00 GMT",
      connection: "keep-alive",
      "Transfer-Encoding": "chunked",
      "Keep-Alive": "timeout=5",
      "Content-Type": "application/json",
      "x-request-id": "abc",
    };
    const withHeaders = job({ effect: () => Promise.resolve({ status: 201, body: {}, headers }) });
    const kept = { "content-type": "application/json", "x-request-id": "abc" };
    expect(await calls.run(withHeaders)).toMatchObject({ outcome: "executed", response: { headers: kept } });
    expect(await calls.run(withHeaders)).toMatchObject({ outcome: "replayed", response: { headers: kept } });
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
          throw new ProblemError(problem("validation_failed", "amount: must be at least 1"));
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

  it("observes and answers what `answer` makes of the result (a withheld answer, say), and replays it after", async () => {
    const withheld = { code: "withheld", status: 502, title: "Withheld", type: "about:blank", detail: "withheld" };
    const lost = await calls.run(job({ answer: (result) => ({ outcome: result.outcome, key: result.key, problem: withheld, headers: {} }) }));
    expect(lost).toMatchObject({ outcome: "executed", problem: withheld });
    expect(observed[0]).toMatchObject({ outcome: "executed", status: 502 });
    expect(await calls.run(job())).toMatchObject({ outcome: "replayed", response: { status: 201 } });
  });
});

describe("CallPipeline: the in-flight cap by way in", () => {
  it("applies to the ways in it names only: here REST and tRPC, never a job, a webhook or a consumer", async () => {
    const capped = new CallPipeline(new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: 30 }), {
      observe: (o) => observed.push(o),
      maxInFlight: (via) => (via === "rest" || via === "trpc" ? 1 : undefined),
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
