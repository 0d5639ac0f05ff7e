import { describe, expect, it } from "vitest";
import { preferenceApplied, waitPreference } from "@oncepay/idempotency";

describe("Prefer: wait=N (RFC 7240)", () => {
  it("reads the seconds, among other preferences and parameters, in any case", () => {
    expect(waitPreference("wait=5")).toBe(5);
    expect(waitPreference("respond-async, wait=12")).toBe(12);
    expect(waitPreference("Wait=3;foo=bar, return=minimal")).toBe(3);
    expect(waitPreference(' wait="7" ')).toBe(7);
  });

  it("caps at 30 seconds", () => {
    expect(waitPreference("wait=31")).toBe(30);
    expect(waitPreference("wait=100000")).toBe(30);
  });

  it("ignores what it cannot understand, as the RFC asks: no wait, never an error", () => {
    for (const header of [null, "", "wait", "wait=", "wait=-1", "wait=1.5", "wait=abc", "wait=0", "respond-async", "wait=1=2"]) {
      expect(waitPreference(header), String(header)).toBeNull();
    }
  });

  it("says it was applied only when the call waited, or found the original still running after waiting", () => {
    expect(preferenceApplied(5, { outcome: "replayed", waited: true })).toEqual({ "preference-applied": "wait=5" });
    expect(preferenceApplied(5, { outcome: "conflict" })).toEqual({ "preference-applied": "wait=5" });
    expect(preferenceApplied(5, { outcome: "executed", waited: false })).toEqual({});
    expect(preferenceApplied(null, { outcome: "conflict" })).toEqual({});
  });
});
