import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faultFor, random } from "@/app/_checkout/faults";

describe("checkout faults", () => {
  it("fixed modes hit only the first attempt of a checkout", () => {
    expect(faultFor({ mode: "lost-response", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "lost-response" });
    expect(faultFor({ mode: "fail-before-commit", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "fail-before-commit" });
    expect(faultFor({ mode: "browser-drop", seed: 1 }, 3, 1)).toEqual({ dropResponse: true });
    expect(faultFor({ mode: "slow", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "delay=3000" });
    expect(faultFor({ mode: "provider-timeout-after-charge", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "provider-timeout-after-charge" });
    expect(faultFor({ mode: "provider-fail-before-charge", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "provider-fail-before-charge" });
    for (const mode of [
      "lost-response",
      "fail-before-commit",
      "browser-drop",
      "slow",
      "provider-timeout-after-charge",
      "provider-fail-before-charge",
      "off",
    ] as const) {
      expect(faultFor({ mode, seed: 1 }, 3, 2)).toEqual({});
    }
  });

  it("flaky is a pure function of (seed, checkout, attempt), and a real mix", () => {
    const draws = Array.from({ length: 400 }, (_, i) => faultFor({ mode: "flaky", seed: 7 }, i, 1));
    expect(draws).toEqual(Array.from({ length: 400 }, (_, i) => faultFor({ mode: "flaky", seed: 7 }, i, 1)));
    const kinds = new Set(draws.map((d) => d.simulateFailure ?? (d.dropResponse ? "drop" : "none")));
    expect(kinds).toEqual(
      new Set(["none", "lost-response", "fail-before-commit", "provider-timeout-after-charge", "provider-fail-before-charge", "drop", "delay=800"]),
    );
    const clean = draws.filter((d) => !d.simulateFailure && !d.dropResponse).length;
    expect(clean).toBeGreaterThan(150);
    expect(clean).toBeLessThan(250);
  });

  it("random stays in [0, 1)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(), fc.nat(100), (seed, serial, attempt) => {
        const r = random(seed, serial, attempt);
        return r >= 0 && r < 1;
      }),
    );
  });
});
