import { TRPCClientError } from "@trpc/client";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cartTotal, formatMoney } from "@/app/_checkout/catalog";
import { faultFor, random } from "@/app/_checkout/faults";
import { newIdempotencyKey } from "@/app/_checkout/key";
import { backoffMs, classify, MAX_RETRIES } from "@/app/_checkout/retry";
import { idempotencyKeySchema } from "@/server/idempotency/key";

describe("checkout faults", () => {
  it("fixed modes hit only the first attempt of a checkout", () => {
    expect(faultFor({ mode: "lost-response", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "lost-response" });
    expect(faultFor({ mode: "fail-before-commit", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "fail-before-commit" });
    expect(faultFor({ mode: "browser-drop", seed: 1 }, 3, 1)).toEqual({ dropResponse: true });
    expect(faultFor({ mode: "slow", seed: 1 }, 3, 1)).toEqual({ simulateFailure: "delay=3000" });
    for (const mode of ["lost-response", "fail-before-commit", "browser-drop", "slow", "off"] as const) {
      expect(faultFor({ mode, seed: 1 }, 3, 2)).toEqual({});
    }
  });

  it("flaky is a pure function of (seed, checkout, attempt), and a real mix", () => {
    const draws = Array.from({ length: 400 }, (_, i) => faultFor({ mode: "flaky", seed: 7 }, i, 1));
    expect(draws).toEqual(Array.from({ length: 400 }, (_, i) => faultFor({ mode: "flaky", seed: 7 }, i, 1)));
    const kinds = new Set(draws.map((d) => d.simulateFailure ?? (d.dropResponse ? "drop" : "none")));
    expect(kinds).toEqual(new Set(["none", "lost-response", "fail-before-commit", "drop", "delay=800"]));
    const clean = draws.filter((d) => !d.simulateFailure && !d.dropResponse).length;
    expect(clean).toBeGreaterThan(150);
    expect(clean).toBeLessThan(250);
  });

  it("random stays in [0, 1)", () => {
    fc.assert(fc.property(fc.integer(), fc.nat(), fc.nat(100), (seed, serial, attempt) => {
      const r = random(seed, serial, attempt);
      return r >= 0 && r < 1;
    }));
  });
});

describe("checkout retries", () => {
  it("backs off exponentially with jitter, capped", () => {
    expect(backoffMs(1, () => 0)).toBe(125);
    expect(backoffMs(1, () => 0.999999)).toBe(250);
    expect(backoffMs(3, () => 0)).toBe(500);
    expect(backoffMs(10, () => 0.999999)).toBe(4000);
    fc.assert(fc.property(fc.integer({ min: 1, max: MAX_RETRIES }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, r) => {
      const ms = backoffMs(retry, () => r);
      return ms >= 125 && ms <= 4000;
    }));
  });

  const trpcError = (httpStatus: number, code: string) =>
    new TRPCClientError("x", { result: { error: { code: -1, message: "x", data: { httpStatus, problem: { code, status: httpStatus, detail: "d", title: "t" } } } } });

  it("retries network failures, 409s and 5xx; stops on declines and client errors", () => {
    expect(classify(new TypeError("Failed to fetch")).kind).toBe("retryable");
    expect(classify(TRPCClientError.from(new TypeError("Failed to fetch"))).kind).toBe("retryable");
    expect(classify(trpcError(409, "idempotency_key_in_use"))).toMatchObject({ kind: "retryable", label: expect.stringContaining("409") });
    expect(classify(trpcError(502, "simulated_lost_response")).kind).toBe("retryable");
    expect(classify(trpcError(503, "simulated_failure")).kind).toBe("retryable");
    expect(classify(trpcError(402, "card_declined")).kind).toBe("declined");
    expect(classify(trpcError(422, "idempotency_key_reused")).kind).toBe("fatal");
    expect(classify(trpcError(400, "validation_failed")).kind).toBe("fatal");
  });
});

describe("catalog", () => {
  it("totals a cart in the chosen currency and formats minor units", () => {
    expect(cartTotal({ tee: 2, mug: 1 }, "usd")).toBe(2 * 2500 + 1400);
    expect(cartTotal({}, "eur")).toBe(0);
    expect(formatMoney(3900, "usd")).toBe("$39.00");
    expect(formatMoney(3800, "jpy")).toBe("¥3,800");
  });
});

describe("idempotency keys", () => {
  const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("are random version 4 UUIDs the server accepts", () => {
    const keys = Array.from({ length: 1000 }, () => newIdempotencyKey());
    for (const key of keys) {
      expect(key).toMatch(UUID_V4);
      expect(idempotencyKeySchema.safeParse(key).success).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("set the version and variant bits whatever the random bytes", () => {
    expect(newIdempotencyKey((b) => b.fill(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(newIdempotencyKey((b) => b.fill(0))).toBe("00000000-0000-4000-8000-000000000000");
  });

  it("need no crypto.randomUUID, which plain-http LAN pages lack", () => {
    const randomUUID = crypto.randomUUID;
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      expect(newIdempotencyKey()).toMatch(UUID_V4);
    } finally {
      Object.defineProperty(crypto, "randomUUID", { value: randomUUID, configurable: true });
    }
  });
});
