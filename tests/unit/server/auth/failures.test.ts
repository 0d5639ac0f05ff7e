import { RateLimiterMemory } from "rate-limiter-flexible";
import { describe, expect, it } from "vitest";
import { FailedAuthentications, FAILED_AUTHENTICATIONS_PER_MINUTE } from "@/server/auth/failures";

describe("failed authentications per address", () => {
  const counter = (duration = 60) => new FailedAuthentications(new RateLimiterMemory({ points: FAILED_AUTHENTICATIONS_PER_MINUTE, duration }));

  it("blocks an address once its 20th failure is counted, so the 21st try is refused unread", async () => {
    const failures = counter();
    for (let i = 1; i < FAILED_AUTHENTICATIONS_PER_MINUTE; i++) {
      await failures.failed("203.0.113.1");
      expect(failures.retryAfterSeconds("203.0.113.1")).toBe(0);
    }
    await failures.failed("203.0.113.1");
    const wait = failures.retryAfterSeconds("203.0.113.1");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(failures.retryAfterSeconds("203.0.113.2")).toBe(0);
  });

  it("blocks when the shared store says the allowance is spent (other instances counted too)", async () => {
    const limiter = new RateLimiterMemory({ points: FAILED_AUTHENTICATIONS_PER_MINUTE, duration: 60 });
    await limiter.consume("198.51.100.1", FAILED_AUTHENTICATIONS_PER_MINUTE);
    const failures = new FailedAuthentications(limiter);
    expect(failures.retryAfterSeconds("198.51.100.1")).toBe(0);
    await failures.failed("198.51.100.1");
    expect(failures.retryAfterSeconds("198.51.100.1")).toBeGreaterThan(0);
  });

  it("lets the address in again when its window ends", async () => {
    const failures = counter(1);
    for (let i = 0; i < FAILED_AUTHENTICATIONS_PER_MINUTE; i++) await failures.failed("192.0.2.1");
    expect(failures.retryAfterSeconds("192.0.2.1")).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(failures.retryAfterSeconds("192.0.2.1")).toBe(0);
  });
});
