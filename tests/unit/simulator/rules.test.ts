import { z } from "zod";
import { describe, expect, it } from "vitest";
import { fromZodError, paramName, ProviderError } from "@/simulator/errors";
import { parseFault } from "@/simulator/faults";
import { canonicalJson, fingerprint } from "@/simulator/idempotency";

describe("fault specs", () => {
  it("parses the known modes", () => {
    expect(parseFault(undefined)).toEqual({ kind: "none" });
    expect(parseFault("")).toEqual({ kind: "none" });
    expect(parseFault("timeout-after-charge")).toEqual({ kind: "timeout-after-charge" });
    expect(parseFault(" fail-before-charge ")).toEqual({ kind: "fail-before-charge" });
    expect(parseFault("latency=0")).toEqual({ kind: "latency", ms: 0 });
    expect(parseFault("latency=60000")).toEqual({ kind: "latency", ms: 60_000 });
    expect(parseFault("answer-latency=500")).toEqual({ kind: "answer-latency", ms: 500 });
  });

  it("refuses anything else with a 400", () => {
    for (const spec of ["latency=60001", "latency=", "latency=1.5", "Timeout-After-Charge", "boom"]) {
      const error = (() => {
        try {
          parseFault(spec);
        } catch (e) {
          return e;
        }
      })();
      expect(error, spec).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).status).toBe(400);
    }
  });
});

describe("request fingerprints", () => {
  it("ignore key order at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: "s" } })).toBe('{"a":{"c":"s","d":[1,{"x":1,"y":2}]},"b":1}');
    expect(fingerprint("POST", "/v1/refunds", { amount: "1", payment_intent: "pi_1" })).toBe(
      fingerprint("POST", "/v1/refunds", { payment_intent: "pi_1", amount: "1" }),
    );
  });

  it("tell apart values, paths and methods", () => {
    const params = { amount: "1" };
    expect(fingerprint("POST", "/v1/refunds", params)).not.toBe(fingerprint("POST", "/v1/refunds", { amount: "2" }));
    expect(fingerprint("POST", "/v1/refunds", params)).not.toBe(fingerprint("POST", "/v1/payment_intents", params));
  });
});

describe("Stripe-style param errors", () => {
  const schema = z.strictObject({ amount: z.string(), metadata: z.record(z.string(), z.string()).optional() });

  it("name nested params the way forms spell them", () => {
    expect(paramName(["metadata", "order"])).toBe("metadata[order]");
  });

  it("tell missing, unknown and invalid params apart", () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, "parameter_missing", "amount"],
      [{ amount: "1", extra: "x" }, "parameter_unknown", "extra"],
      [{ amount: "1", metadata: { order: ["a"] } }, "parameter_invalid", "metadata[order]"],
    ];
    for (const [params, code, param] of cases) {
      const result = schema.safeParse(params);
      expect(result.success).toBe(false);
      if (result.success) continue;
      expect(fromZodError(result.error, params).error).toMatchObject({ type: "invalid_request_error", code, param });
    }
  });
});
