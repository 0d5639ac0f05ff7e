import { describe, expect, it } from "vitest";
import { IdempotencyEngine, type OwnedClaim } from "@oncepay/idempotency";
import { OPTIONS, request } from "./support/engine-calls";
import { MemoryStore } from "@oncepay/idempotency/testing";

/** A store whose database hangs just after the execution failed: its release never answers. */
class HungRelease extends MemoryStore {
  releases = 0;
  override release(_claim: OwnedClaim): Promise<boolean> {
    this.releases++;
    return new Promise(() => undefined);
  }
}

describe("IdempotencyEngine: the release after a failure", () => {
  it("is waited for at most a second: the caller gets the failure, not a hang", async () => {
    const store = new HungRelease();
    const engine = new IdempotencyEngine(store, OPTIONS);
    const failure = new Error("the database stopped answering");
    const started = performance.now();
    await expect(engine.run(request({ execute: () => Promise.reject(failure) }))).rejects.toBe(failure);
    const ms = performance.now() - started;
    expect(store.releases).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(990);
    expect(ms).toBeLessThan(1_500);
  });
});
