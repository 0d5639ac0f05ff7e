import { RateLimiterMemory } from "rate-limiter-flexible";
import { describe, expect, it } from "vitest";
import type { LimiterFactory, LimiterSpec } from "@/server/limits/limiters";
import { MerchantRate } from "@/server/limits/merchant-rate";
import { ProblemError } from "@/server/problem";

/** Two instances' limiters on one shared count (a memory limiter standing in for Redis). */
function sharedStore(): LimiterFactory {
  const limiters = new Map<string, RateLimiterMemory>();
  return {
    store: "redis",
    make: (spec: LimiterSpec) => {
      const made = limiters.get(spec.keyPrefix) ?? new RateLimiterMemory({ keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.durationSeconds });
      limiters.set(spec.keyPrefix, made);
      return made;
    },
  };
}

async function outcome(rate: MerchantRate, merchant: string): Promise<"admitted" | ProblemError> {
  try {
    await rate.admit(merchant);
    return "admitted";
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
}

describe("MerchantRate", () => {
  it("across two instances sharing a store, never admits more than the window's quota, and little less", async () => {
    const store = sharedStore();
    const instances = [new MerchantRate(store, 100), new MerchantRate(store, 100)]; // quota 200 per 2 s, chunks of 4
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => outcome(instances[i % 2]!, "alice")));
    const admitted = answers.filter((a) => a === "admitted").length;
    expect(admitted).toBeLessThanOrEqual(200);
    expect(admitted).toBeGreaterThanOrEqual(200 - 2 * 4);
    const refused = answers.find((a): a is ProblemError => a !== "admitted")!;
    expect(refused.problem).toMatchObject({ status: 429, code: "rate_limited" });
    expect(refused.headers).toMatchObject({ "ratelimit-policy": '"merchant";q=200;w=2', "retry-after": expect.stringMatching(/^[12]$/) });
    expect(refused.headers.ratelimit).toBe(`"merchant";r=0;t=${refused.headers["retry-after"]}`);
    // Another merchant has its own window.
    expect(await outcome(instances[0]!, "bob")).toBe("admitted");
  });

  it("counts one by one on memory (one process), exactly", async () => {
    const rate = new MerchantRate({ store: "memory", make: (s) => new RateLimiterMemory({ points: s.points, duration: s.durationSeconds }) }, 5);
    const answers = await Promise.all(Array.from({ length: 25 }, () => outcome(rate, "alice")));
    expect(answers.filter((a) => a === "admitted")).toHaveLength(10);
  });
});
