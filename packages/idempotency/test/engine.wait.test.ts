import { beforeEach, describe, expect, it } from "vitest";
import { poll } from "../src/testing/poll";
import { ConflictError, IdempotencyEngine } from "@oncepay/idempotency";
import { freshMemoryEngine, held, OPTIONS, payment, request } from "./support/engine-calls";
import type { MemoryStore, MemoryTx } from "@oncepay/idempotency/testing";

// "Waiting instead of 409": a duplicate of a key in flight waits for the original's outcome, woken
// by its completion (in this process, or announced by the store from another), never by polling.
let store: MemoryStore;
let engine: IdempotencyEngine<MemoryTx>;

beforeEach(() => ({ store, engine } = freshMemoryEngine()));

const executing = (run: ReturnType<typeof held>) => poll(run.started, { timeoutMs: 1_000, message: "the original never started executing" });

/** Something that a run has settled, without awaiting it. */
function settledState<T>(promise: Promise<T>) {
  const state = { done: false };
  void promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

describe("IdempotencyEngine.run with waitMs", () => {
  it("a duplicate in this process waits for the original and gets its outcome as a replay, woken by its commit", async () => {
    const slow = held("slow");
    const original = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    const lookups = store.lookups;
    const duplicate = engine.run(request({ execute: payment("dup").execute, waitMs: 20_000 }));
    const state = settledState(duplicate);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(state.done).toBe(false); // still waiting, and not looking meanwhile:
    expect(store.lookups).toBe(lookups);
    slow.release();
    const [first, second] = await Promise.all([original, duplicate]);
    expect(second).toMatchObject({ outcome: "replayed", waited: true, response: first.response, recordId: first.recordId });
    expect(first.waited).toBe(false);
    expect(store.lookups).toBe(lookups + 1); // one look after the wake-up
    expect(store.committed).toEqual([{ label: "slow", execution: 1 }]);
  });

  it("a duplicate of a key another process executes is woken by the store's announcement", async () => {
    const other = new IdempotencyEngine(store, { ...OPTIONS, remoteWakeups: true });
    store.announce = (recordId) => other.wake(recordId);
    const slow = held("slow");
    const original = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    const duplicate = other.run(request({ execute: payment("dup").execute, waitMs: 20_000 }));
    const state = settledState(duplicate);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(state.done).toBe(false);
    slow.release();
    await original;
    expect(await duplicate).toMatchObject({ outcome: "replayed", waited: true });
  });

  it("without announcements from other processes, the wait ends at its deadline with one last look", async () => {
    const other = new IdempotencyEngine(store, OPTIONS);
    const slow = held("slow");
    const original = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    const lookups = store.lookups;
    const started = Date.now();
    await expect(other.run(request({ execute: payment("dup").execute, waitMs: 400 }))).rejects.toBeInstanceOf(ConflictError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(store.lookups).toBe(lookups + 2);
    slow.release();
    await original;
  });

  it("the original still running after the wait: the usual conflict", async () => {
    const slow = held("slow");
    const original = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    await expect(engine.run(request({ execute: payment("dup").execute, waitMs: 300 }))).rejects.toBeInstanceOf(ConflictError);
    slow.release();
    await original;
  });

  it("the original failing transiently while a duplicate waits: the duplicate gets the conflict at once, and does not run in its place", async () => {
    let fail!: (error: Error) => void;
    let started = false;
    const failing = request({
      execute: () => {
        started = true;
        return new Promise((_, reject) => (fail = reject));
      },
    });
    const original = engine.run(failing);
    await poll(() => started, { timeoutMs: 1_000, message: "the original never started" });
    const dup = payment("dup");
    const duplicate = engine.run(request({ execute: dup.execute, waitMs: 20_000 }));
    const started2 = Date.now();
    fail(new Error("database went away"));
    await expect(original).rejects.toThrow("database went away");
    await expect(duplicate).rejects.toBeInstanceOf(ConflictError);
    expect(Date.now() - started2).toBeLessThan(5_000);
    expect(dup.calls).toHaveLength(0);
    // A later retry (not a waiter) executes afresh, as after any transient failure.
    expect((await engine.run(request({ execute: payment("retry").execute }))).outcome).toBe("executed");
  });

  it("a duplicate that joined the original's claim is answered as soon as the original ends, however quick", async () => {
    // Both arrive together and share one claim; the original finishes within a few awaits, perhaps
    // before the duplicate has registered to wait: it must still be answered at once, not at its deadline.
    for (let i = 0; i < 20; i++) {
      ({ store, engine } = freshMemoryEngine());
      const started = Date.now();
      const [first, second] = await Promise.all([
        engine.run(request({ execute: payment("quick").execute })),
        engine.run(request({ execute: payment("dup").execute, waitMs: 20_000 })),
      ]);
      expect(first.outcome).toBe("executed");
      expect(second).toMatchObject({ outcome: "replayed", waited: true });
      expect(Date.now() - started).toBeLessThan(5_000);
    }
  });

  it("no wait asked: a duplicate gets the conflict at once", async () => {
    const slow = held("slow");
    const original = engine.run(request({ execute: slow.execute }));
    await executing(slow);
    await expect(engine.run(request({ execute: payment("dup").execute }))).rejects.toBeInstanceOf(ConflictError);
    slow.release();
    await original;
  });
});
