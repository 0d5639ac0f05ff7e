import { beforeEach, describe, expect, it } from "vitest";
import { IdempotencyEngine, MismatchError, RecordState, type RunRequest, type Steps } from "@oncepay/idempotency";
import { OPERATION, OPTIONS, recordIn, request, SCOPE } from "./support/engine-calls";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";

/**
 * A two-step operation like payment.create: an atomic step (a local row), an external one (a
 * provider call, counted), then the final commit. `failAt` makes one run throw at that point.
 */
function twoSteps(options: { repeatable?: boolean } = {}) {
  const ran = { created: 0, charged: 0, final: 0 };
  let failAt: "charge" | "final" | null = null;
  const steps = async (s: Steps<MemoryTx>) => {
    const created = await s.atomic(
      "created",
      (tx) => {
        ran.created++;
        tx.effects.push("row");
        return Promise.resolve({ id: `pay_${ran.created}` });
      },
      (saved) => saved as { id: string },
    );
    const charged = await s.external(
      "charged",
      () => {
        ran.charged++;
        if (failAt === "charge") return Promise.reject(new Error("provider timed out"));
        return Promise.resolve({ pi: `pi_${ran.charged}` });
      },
      (saved) => saved as { pi: string },
      options,
    );
    return { ...created, ...charged };
  };
  const execute = (_tx: MemoryTx, _context: unknown, prepared: { id: string; pi: string }) => {
    ran.final++;
    if (failAt === "final") return Promise.reject(new Error("crash before the final commit"));
    return Promise.resolve({ status: 201, body: prepared, resourceId: prepared.id });
  };
  const req = (over: Partial<RunRequest<MemoryTx, { id: string; pi: string }>> = {}): RunRequest<MemoryTx, { id: string; pi: string }> => ({
    ...request({ execute: () => Promise.reject(new Error("replaced")) }),
    input: { amount: 1000 },
    steps,
    execute,
    ...over,
  });
  return { ran, req, fail: (at: typeof failAt) => (failAt = at) };
}

describe("IdempotencyEngine: steps with recovery points", () => {
  let store: MemoryStore;
  let engine: IdempotencyEngine<MemoryTx>;
  const points: string[] = [];
  beforeEach(() => {
    store = new MemoryStore();
    points.length = 0;
    engine = new IdempotencyEngine(store, { ...OPTIONS, onRecoveryPoint: (point, stage) => points.push(`${stage}:${point}`) });
  });

  it("runs each step once, commits a recovery point after each, and hands their results to the final commit", async () => {
    const op = twoSteps();
    const result = await engine.run(op.req());
    expect(result).toMatchObject({ outcome: "executed", resumedFrom: null });
    expect(JSON.parse(result.response.body)).toEqual({ id: "pay_1", pi: "pi_1" });
    expect(op.ran).toEqual({ created: 1, charged: 1, final: 1 });
    expect(points).toEqual(["reached:created", "committed:created", "reached:charged", "committed:charged"]);
    expect(store.committed).toEqual(["row"]);
    expect(recordIn(store)).toMatchObject({ state: RecordState.Completed, recoveryPoint: "charged" });
  });

  it("a failed step releases the key with its recovery points; the retry resumes without re-running what committed", async () => {
    const op = twoSteps();
    op.fail("charge");
    await expect(engine.run(op.req())).rejects.toThrow("provider timed out");
    expect(recordIn(store)).toMatchObject({ state: RecordState.Released, recoveryPoint: "created" });
    op.fail(null);
    const retry = await engine.run(op.req());
    expect(retry).toMatchObject({ outcome: "executed", resumedFrom: "created" });
    expect(JSON.parse(retry.response.body)).toEqual({ id: "pay_1", pi: "pi_2" });
    expect(op.ran).toEqual({ created: 1, charged: 2, final: 1 });
    expect(store.committed).toEqual(["row"]);
  });

  it("past a recovery point, a released key is kept for the same request: another body is refused", async () => {
    const op = twoSteps();
    op.fail("charge");
    await expect(engine.run(op.req())).rejects.toThrow();
    await expect(engine.run(op.req({ fingerprint: "fp-B" }))).rejects.toBeInstanceOf(MismatchError);
  });

  it("a failure after the external step: the retry skips the provider call and only commits", async () => {
    const op = twoSteps();
    op.fail("final");
    await expect(engine.run(op.req())).rejects.toThrow("crash before the final commit");
    expect(recordIn(store)).toMatchObject({ state: RecordState.Released, recoveryPoint: "charged" });
    op.fail(null);
    const retry = await engine.run(op.req());
    expect(retry.resumedFrom).toBe("charged");
    expect(op.ran).toEqual({ created: 1, charged: 1, final: 2 });
    expect(JSON.parse(retry.response.body)).toEqual({ id: "pay_1", pi: "pi_1" });
  });

  it("a repeatable external step commits nothing of its own: its recovery point rides in the final commit", async () => {
    const op = twoSteps({ repeatable: true });
    const checkpoints: string[] = [];
    const checkpoint = store.checkpoint.bind(store);
    store.checkpoint = (claim, point, lock, step) => (checkpoints.push(point), checkpoint(claim, point, lock, step));
    const result = await engine.run(op.req());
    expect(JSON.parse(result.response.body)).toEqual({ id: "pay_1", pi: "pi_1" });
    expect(checkpoints).toEqual(["created"]);
    expect(points).toEqual(["reached:created", "committed:created", "reached:charged", "committed:charged"]);
    expect(recordIn(store)).toMatchObject({ state: RecordState.Completed, recoveryPoint: "charged" });
  });

  it("a failure after a repeatable step: the retry resumes from the point before and runs the step again", async () => {
    const op = twoSteps({ repeatable: true });
    op.fail("final");
    await expect(engine.run(op.req())).rejects.toThrow("crash before the final commit");
    expect(recordIn(store)).toMatchObject({ state: RecordState.Released, recoveryPoint: "created" });
    op.fail(null);
    const retry = await engine.run(op.req());
    expect(retry.resumedFrom).toBe("created");
    expect(op.ran).toEqual({ created: 1, charged: 2, final: 2 });
    expect(JSON.parse(retry.response.body)).toEqual({ id: "pay_1", pi: "pi_2" });
    expect(store.committed).toEqual(["row"]);
  });

  it("a repeatable step followed by another step: its recovery point commits first, in order", async () => {
    const checkpoints: string[] = [];
    const checkpoint = store.checkpoint.bind(store);
    store.checkpoint = (claim, point, lock, step) => (checkpoints.push(point), checkpoint(claim, point, lock, step));
    const result = await engine.run({
      ...request({ execute: () => Promise.resolve({ status: 200, body: "done" }) }),
      input: {},
      steps: async (s) => {
        await s.external("asked", () => Promise.resolve(1), Number, { repeatable: true });
        await s.atomic("noted", () => Promise.resolve(2), Number);
      },
    });
    expect(result.outcome).toBe("executed");
    expect(checkpoints).toEqual(["asked", "noted"]);
    expect(points).toEqual(["reached:asked", "committed:asked", "reached:noted", "committed:noted"]);
  });

  it("lists abandoned records with their input once their grace is over, and not once completed", async () => {
    const op = twoSteps();
    op.fail("charge");
    await expect(engine.run(op.req())).rejects.toThrow();
    expect(await engine.abandoned(10)).toEqual([]);
    store.advance(OPTIONS.lockTimeoutSeconds);
    expect(await engine.abandoned(10)).toEqual([{ scope: SCOPE, operation: OPERATION, key: "key-1", input: { amount: 1000 }, recoveryPoint: "created" }]);
    op.fail(null);
    await engine.run(op.req());
    expect(await engine.abandoned(10)).toEqual([]);
  });
});
