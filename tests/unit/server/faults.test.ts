import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faultHooks, MAX_DELAY_MS, parseFault, SimulatedFailure } from "@/server/faults";
import { ProblemError } from "@/server/problem";

describe("faultHooks", () => {
  it("without a fault: no delay, the effect passes through, nothing withheld", async () => {
    const hooks = faultHooks(null);
    expect(hooks.beforeExecute).toBeUndefined();
    expect(await hooks.wrap(async (x: number) => x * 2)(21)).toBe(42);
    expect(hooks.withholdResponse).toBe(false);
  });

  it("fail-before-commit runs the effect, then throws inside its transaction", async () => {
    const ran: string[] = [];
    const wrapped = faultHooks({ mode: "fail-before-commit" }).wrap(async (tx: string) => void ran.push(tx));
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
