import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { type Abandoned, type CallObservation, CallPipeline, IdempotencyEngine, type IdempotentCall, RecordState } from "@oncepay/idempotency";
import { Completer } from "@/server/jobs/completer";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

const LEASE = 30;
const silent = pino({ level: "silent" });

let store: MemoryStore;
let observed: CallObservation[];
let calls: CallPipeline<MemoryTx>;
let engine: IdempotencyEngine<MemoryTx>;
/** The "provider": how often it was asked, and whether its answer is lost on the way back. */
let provider: { asked: number; timesOut: boolean };

beforeEach(() => {
  store = new MemoryStore();
  observed = [];
  engine = new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: LEASE });
  calls = new CallPipeline(engine, { observe: (o) => observed.push(o) });
  provider = { asked: 0, timesOut: false };
});

/** A charge-like call: a local row, a provider call, the outcome. */
function charge(via: "rest" | "job", key: string, input: unknown): IdempotentCall<MemoryTx, { amount: number }, { ref: string }> {
  return {
    operation: "charge",
    via,
    scope: () => "alice",
    key: () => key,
    input: () => input as { amount: number },
    steps: async (steps) => {
      await steps.atomic(
        "created",
        (tx) => {
          tx.effects.push("row");
          return Promise.resolve({ ok: true });
        },
        () => ({ ok: true }),
      );
      return steps.external(
        "charged",
        () => {
          provider.asked++;
          return provider.timesOut ? Promise.reject(new Error("timeout")) : Promise.resolve({ ref: "pi_1" });
        },
        (saved) => saved as { ref: string },
      );
    },
    effect: (tx, { prepared }) => {
      tx.effects.push(`settled ${prepared.ref}`);
      return Promise.resolve({ status: 201, body: prepared });
    },
  };
}

const completerOn = (pipeline: CallPipeline<MemoryTx>, on = engine) =>
  new Completer(on, { charge: (record: Abandoned) => pipeline.run(charge("job", record.key, record.input)) }, { intervalMs: 60_000, batch: 10, log: silent });

describe("Completer", () => {
  it("finishes a record whose charge timed out, from its last recovery point, once its grace is over", async () => {
    provider.timesOut = true;
    expect(await calls.run(charge("rest", "k1", { amount: 5 }))).toMatchObject({ outcome: "failed" });
    provider.timesOut = false;
    const completer = completerOn(calls);
    expect(await completer.sweep()).toBe(0); // the client's own retry comes first, if it comes
    store.advance(LEASE);
    expect(await completer.sweep()).toBe(1);
    expect(store.record("alice", "charge", "k1")).toMatchObject({ state: RecordState.Completed });
    expect(store.committed).toEqual(["row", "settled pi_1"]);
    expect(observed.at(-1)).toMatchObject({ via: "job", outcome: "executed", resumedFrom: "created" });
    expect(await completer.sweep()).toBe(0);
  });

  it("two instances' completers sweeping together finish each record once", async () => {
    provider.timesOut = true;
    await calls.run(charge("rest", "k2", { amount: 5 }));
    provider.timesOut = false;
    store.advance(LEASE);
    // Another instance: its own engine and pipeline on the same store, so only the store's takeover decides.
    const otherEngine = new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: LEASE });
    const [a, b] = [completerOn(calls), completerOn(new CallPipeline(otherEngine), otherEngine)];
    const finished = await Promise.all([a.sweep(), b.sweep()]);
    expect(finished.reduce((x, y) => x + y)).toBe(1);
    expect(store.committed.filter((e) => e === "settled pi_1")).toHaveLength(1);
  });

  it("leaves records of operations it has no resumer for", async () => {
    provider.timesOut = true;
    await calls.run(charge("rest", "k3", { amount: 5 }));
    store.advance(LEASE);
    const other = new Completer(engine, {}, { intervalMs: 60_000, batch: 10, log: silent });
    expect(await other.sweep()).toBe(0);
    expect(store.record("alice", "charge", "k3")).toMatchObject({ state: RecordState.Released, recoveryPoint: "created" });
  });
});
