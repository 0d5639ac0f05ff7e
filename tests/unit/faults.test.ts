import { describe, expect, it } from "vitest";
import { faultHooks, SimulatedFailure } from "@/server/faults";

describe("faultHooks", () => {
  it("without a fault: no delay, the effect passes through, nothing withheld", async () => {
    const hooks = faultHooks(null);
    expect(hooks.beforeExecute).toBeUndefined();
    expect(await hooks.wrap((x: number) => Promise.resolve(x * 2))(21)).toBe(42);
    expect(hooks.withholdResponse).toBe(false);
  });

  it("fail-before-commit runs the effect, then throws inside its transaction", async () => {
    const ran: string[] = [];
    const wrapped = faultHooks({ mode: "fail-before-commit" }).wrap((tx: string) => {
      ran.push(tx);
      return Promise.resolve();
    });
    await expect(wrapped("tx-1")).rejects.toBeInstanceOf(SimulatedFailure);
    expect(ran).toEqual(["tx-1"]);
  });

  it("delay waits before the execution; lost-response withholds the fresh answer", async () => {
    const started = Date.now();
    await faultHooks({ mode: "delay", ms: 50 }).beforeExecute?.();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(faultHooks({ mode: "lost-response" }).withholdResponse).toBe(true);
  });
});
