import { beforeEach, describe, expect, it } from "vitest";
import { poll } from "../src/testing/poll";
import { ConflictError, IdempotencyEngine, MismatchError } from "@oncepay/idempotency";
import { freshMemoryEngine, held, OPTIONS, payment, request } from "./support/engine-calls";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

// The shortcuts in front of the store: single flight and shared claims within one process.
let store: MemoryStore;
let engine: IdempotencyEngine<MemoryTx>;

beforeEach(() => ({ store, engine } = freshMemoryEngine()));

/** An engine of another process on the same store: it knows only what the store knows. */
const anotherInstance = () => new IdempotencyEngine(store, OPTIONS);

const executing = (run: ReturnType<typeof held>) => poll(run.started, { timeoutMs: 1_000, message: "the first run never started executing" });

describe("IdempotencyEngine.run, many requests for one key", () => {
  it("answers duplicates of a key this process is executing without asking the store", async () => {
    const slow = held("slow");
    const first = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    const lookups = store.lookups;
    const answers = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => engine.run(request({ fingerprint: i % 10 ? "fp-A" : "fp-B", execute: payment("dup").execute }))),
    );
    expect(store.lookups).toBe(lookups);
    expect(answers.filter((a) => a.status === "rejected" && a.reason instanceof ConflictError)).toHaveLength(45);
    expect(answers.filter((a) => a.status === "rejected" && a.reason instanceof MismatchError)).toHaveLength(5);
    slow.release();
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
    expect(store.committed).toEqual([{ label: "first", execution: 1 }]);
  });

  it("a burst of replays of one key costs the store one lookup, and each gets the replay", async () => {
    const first = await engine.run(request({ execute: payment("first").execute }));
    const lookups = store.lookups;
    const replays = await Promise.all(Array.from({ length: 25 }, () => engine.run(request({ execute: payment("dup").execute }))));
    expect(store.lookups).toBe(lookups + 1);
    for (const replay of replays) expect(replay).toEqual({ ...first, outcome: "replayed" });
    // A new body in the same burst is refused, on the same shared lookup.
    const mixed = await Promise.allSettled([
      engine.run(request({ execute: payment("x").execute })),
      engine.run(request({ fingerprint: "fp-B", execute: payment("y").execute })),
    ]);
    expect(mixed[0]).toMatchObject({ status: "fulfilled", value: { outcome: "replayed" } });
    expect(mixed[1]).toMatchObject({ status: "rejected", reason: expect.any(MismatchError) });
    expect(store.lookups).toBe(lookups + 2);
  });

  it("another instance learns of an in-flight key from the store", async () => {
    const slow = held("slow");
    const first = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    const other = anotherInstance();
    await expect(other.run(request({ execute: payment("dup").execute }))).rejects.toBeInstanceOf(ConflictError);
    await expect(other.run(request({ fingerprint: "fp-B", execute: payment("dup").execute }))).rejects.toBeInstanceOf(MismatchError);
    slow.release();
    await first;
    expect((await other.run(request({ execute: payment("dup").execute }))).outcome).toBe("replayed");
    expect(store.committed).toEqual([{ label: "slow", execution: 1 }]);
  });
});
