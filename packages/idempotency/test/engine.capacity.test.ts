import { beforeEach, describe, expect, it } from "vitest";
import { CapacityError, ConflictError, type IdempotencyEngine, mapError } from "@oncepay/idempotency";
import { freshMemoryEngine, held, payment, request } from "./support/engine-calls";
import type { MemoryStore, MemoryTx } from "@oncepay/idempotency/testing";

let store: MemoryStore;
let engine: IdempotencyEngine<MemoryTx>;

beforeEach(() => ({ store, engine } = freshMemoryEngine()));

describe("IdempotencyEngine.run with maxInFlight", () => {
  it("refuses a fresh key beyond the cap with CapacityError, saving nothing; the key executes later", async () => {
    const first = held("first");
    const running = engine.run(request({ key: "k1", maxInFlight: 1, execute: first.execute }));
    await expect.poll(first.started).toBe(true);
    const size = store.size;
    const refused = engine.run(request({ key: "k2", maxInFlight: 1, execute: payment("second").execute }));
    await expect(refused).rejects.toBeInstanceOf(CapacityError);
    expect(store.size).toBe(size);
    // A duplicate of the key in flight is still a conflict, not a refusal.
    await expect(engine.run(request({ key: "k1", maxInFlight: 1, execute: payment("dup").execute }))).rejects.toBeInstanceOf(ConflictError);
    first.release();
    await running;
    // A replay at the cap (another key holds the only place): answered, never counted.
    const other = held("other");
    const otherRun = engine.run(request({ key: "k3", maxInFlight: 1, execute: other.execute }));
    await expect.poll(other.started).toBe(true);
    expect((await engine.run(request({ key: "k1", maxInFlight: 1, execute: payment("again").execute }))).outcome).toBe("replayed");
    other.release();
    await otherRun;
    expect((await engine.run(request({ key: "k2", maxInFlight: 1, execute: payment("second").execute }))).outcome).toBe("executed");
  });

  it("without a cap, nothing is counted", async () => {
    const first = held("first");
    const running = engine.run(request({ key: "k1", execute: first.execute }));
    await expect.poll(first.started).toBe(true);
    expect((await engine.run(request({ key: "k2", execute: payment("second").execute }))).outcome).toBe("executed");
    first.release();
    await running;
  });

  it("is answered as 429 too_many_in_flight with Retry-After", () => {
    const mapped = mapError(new CapacityError("k", 100));
    expect(mapped.problem).toMatchObject({ status: 429, code: "too_many_in_flight", idempotencyKey: "k" });
    expect(mapped.headers["retry-after"]).toBe("1");
    expect(mapped.outcome).toBe("rejected");
  });
});
