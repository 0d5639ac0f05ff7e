import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CallPipeline, IdempotencyEngine, type IdempotentCall } from "@oncepay/idempotency";
import { MemoryStore, type MemoryTx } from "@oncepay/idempotency/testing";
import { currentFault, MAX_DELAY_MS, parseFault, withFault } from "@/server/faults";
import { ProblemError } from "@/server/problem";

// The demo's faults applied at the edge, around a real pipeline on the memory store.
function pipeline() {
  const store = new MemoryStore();
  return { store, calls: new CallPipeline(new IdempotencyEngine(store, { ttlSeconds: 3600, lockTimeoutSeconds: 30 })) };
}

function call(key: string, over: Partial<IdempotentCall<MemoryTx, { n: number }, string>> = {}): IdempotentCall<MemoryTx, { n: number }, string> {
  return {
    operation: "test.op",
    via: "rest",
    scope: () => "alice",
    key: () => key,
    input: () => ({ n: 1 }),
    steps: (steps) => steps.external("asked", () => Promise.resolve(currentFault()?.mode ?? "none"), String),
    effect: (tx, { prepared }) => {
      tx.effects.push(prepared);
      return Promise.resolve({ status: 201, body: { fault: prepared } });
    },
    ...over,
  };
}

describe("withFault", () => {
  it("without a header, or with fault injection off: the call as it is", async () => {
    const { store, calls } = pipeline();
    expect(await calls.run(withFault(call("k1"), () => null, true))).toMatchObject({ outcome: "executed", response: { status: 201 } });
    expect(await calls.run(withFault(call("k2"), () => "lost-response", false))).toMatchObject({ outcome: "executed", response: { status: 201 } });
    expect(store.committed).toEqual(["none", "none"]);
  });

  it("fail-before-commit throws after the first step's writes, inside its transaction: nothing commits, the key is free", async () => {
    const { store, calls } = pipeline();
    const failed = await calls.run(withFault(call("k"), () => "fail-before-commit", true));
    expect(failed).toMatchObject({ outcome: "failed", problem: { code: "internal_error" } });
    expect(store.committed).toEqual([]);
    expect(await calls.run(call("k"))).toMatchObject({ outcome: "executed" });
  });

  it("lost-response withholds a fresh execution's answer (502), and the retry gets its replay", async () => {
    const { calls } = pipeline();
    const lost = await calls.run(withFault(call("k"), () => "lost-response", true));
    expect(lost).toMatchObject({ outcome: "executed", problem: { status: 502, code: "simulated_lost_response" } });
    expect(await calls.run(withFault(call("k"), () => "lost-response", true))).toMatchObject({ outcome: "replayed", response: { status: 201 } });
  });

  it("a provider fault reaches the provider client through the steps (currentFault), never the operation's arguments", async () => {
    const { store, calls } = pipeline();
    await calls.run(withFault(call("k"), () => "provider-timeout-after-charge", true));
    expect(store.committed).toEqual(["provider-timeout-after-charge"]);
    expect(currentFault()).toBeNull();
  });

  it("delay waits after the claim, before the execution", async () => {
    const { calls } = pipeline();
    const started = Date.now();
    await calls.run(withFault(call("k"), () => "delay=50", true));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("an invalid header is a 400 for the call, read after its input", async () => {
    const { store, calls } = pipeline();
    expect(await calls.run(withFault(call("k"), () => "nonsense", true))).toMatchObject({ outcome: "rejected", problem: { code: "invalid_fault" } });
    expect(store.size).toBe(0);
  });
});

describe("parseFault", () => {
  it("ignores the header when fault injection is disabled, even if it is garbage", () => {
    expect(parseFault("lost-response", false)).toBeNull();
    expect(parseFault("delay=99999999", false)).toBeNull();
    expect(parseFault("nonsense", false)).toBeNull();
  });

  it("ignores a missing or blank header", () => {
    expect(parseFault(null, true)).toBeNull();
    expect(parseFault("", true)).toBeNull();
    expect(parseFault("   ", true)).toBeNull();
  });

  it.each([
    ["lost-response", { mode: "lost-response" }],
    ["fail-before-commit", { mode: "fail-before-commit" }],
    ["  Lost-Response ", { mode: "lost-response" }],
    ["FAIL-BEFORE-COMMIT", { mode: "fail-before-commit" }],
    ["delay=0", { mode: "delay", ms: 0 }],
    ["delay=250", { mode: "delay", ms: 250 }],
    [`delay=${MAX_DELAY_MS}`, { mode: "delay", ms: MAX_DELAY_MS }],
  ])("parses %j", (header, fault) => {
    expect(parseFault(header, true)).toEqual(fault);
  });

  it("parses every delay up to the maximum", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DELAY_MS }), (ms) => {
        expect(parseFault(`delay=${ms}`, true)).toEqual({ mode: "delay", ms });
      }),
    );
  });

  const invalid = [
    `delay=${MAX_DELAY_MS + 1}`,
    "delay=999999",
    "delay=1000000",
    "delay=-5",
    "delay=1.5",
    "delay=",
    "delay",
    "delay = 10",
    "lost-response,delay=10",
    "explode",
  ];

  it.each(invalid)("refuses %j with a 400 invalid_fault problem", (header) => {
    const error = (() => {
      try {
        parseFault(header, true);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProblemError);
    const { problem: p } = error as ProblemError;
    expect(p.status).toBe(400);
    expect(p.code).toBe("invalid_fault");
  });

  it("either parses or refuses with a 400 for any header text", () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        try {
          const fault = parseFault(header, true);
          if (fault !== null) expect(["lost-response", "fail-before-commit", "delay"]).toContain(fault.mode);
          else expect(header.trim()).toBe("");
        } catch (e) {
          expect(e).toBeInstanceOf(ProblemError);
          expect((e as ProblemError).problem.status).toBe(400);
        }
      }),
    );
  });
});
