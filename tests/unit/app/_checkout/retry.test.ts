import { TRPCClientError } from "@trpc/client";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffMs, classify, MAX_RETRIES, retryDelayMs } from "@/app/_checkout/retry";

describe("checkout retries", () => {
  it("backs off exponentially with jitter, capped", () => {
    expect(backoffMs(1, () => 0)).toBe(125);
    expect(backoffMs(1, () => 0.999999)).toBe(250);
    expect(backoffMs(3, () => 0)).toBe(500);
    expect(backoffMs(10, () => 0.999999)).toBe(4000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_RETRIES }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (retry, r) => {
        const ms = backoffMs(retry, () => r);
        return ms >= 125 && ms <= 4000;
      }),
    );
  });

  const trpcError = (httpStatus: number, code: string) =>
    new TRPCClientError("x", {
      result: { error: { code: -1, message: "x", data: { httpStatus, problem: { code, status: httpStatus, detail: "d", title: "t" } } } },
    });

  it("retries network failures, 409s and 5xx; stops on declines and client errors", () => {
    expect(classify(new TypeError("Failed to fetch")).kind).toBe("retryable");
    expect(classify(TRPCClientError.from(new TypeError("Failed to fetch"))).kind).toBe("retryable");
    expect(classify(trpcError(409, "idempotency_key_in_use"))).toMatchObject({ kind: "retryable", label: expect.stringContaining("409") });
    expect(classify(trpcError(502, "simulated_lost_response")).kind).toBe("retryable");
    expect(classify(trpcError(503, "simulated_failure")).kind).toBe("retryable");
    expect(classify(trpcError(502, "provider_unavailable")).kind).toBe("retryable");
    expect(classify(trpcError(504, "provider_unavailable")).kind).toBe("retryable");
    expect(classify(trpcError(402, "card_declined")).kind).toBe("declined");
    expect(classify(trpcError(422, "idempotency_key_reused")).kind).toBe("fatal");
    expect(classify(trpcError(400, "validation_failed")).kind).toBe("fatal");
  });

  it("waits at least as long as Retry-After asks", () => {
    const problem = { code: "provider_unavailable", status: 504, detail: "d", retryAfterSeconds: 1 };
    expect(retryDelayMs(1, problem, () => 0)).toBe(1000);
    expect(retryDelayMs(1, undefined, () => 0)).toBe(125);
    expect(retryDelayMs(5, problem, () => 0.999999)).toBe(4000);
  });
});
