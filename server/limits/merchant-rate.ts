import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { problem, ProblemError } from "../problem";
import type { LimiterFactory } from "./limiters";

/** The policy's name in the IETF RateLimit headers. */
const POLICY = "merchant";

/**
 * A merchant's request rate, counted across all instances: `perSecond` on average, bursts up to
 * twice that. One fixed window of two seconds holding twice the rate does both with one counter,
 * so an admitted request costs one store round trip (a BurstyRateLimiter would cost a second one
 * for every request beyond the base rate, exactly when the store is busiest).
 */
export class MerchantRate {
  private readonly limiter: RateLimiterAbstract;
  /** The points of one window, as the RateLimit-Policy header states them. */
  private readonly quota: number;

  constructor(
    factory: LimiterFactory,
    perSecond: number,
    private readonly windowSeconds = 2,
  ) {
    this.quota = perSecond * windowSeconds;
    this.limiter = factory.make({ keyPrefix: "merchant-rate", points: this.quota, durationSeconds: windowSeconds });
  }

  /** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): the quota and its window. */
  get policy(): string {
    return `"${POLICY}";q=${this.quota};w=${this.windowSeconds}`;
  }

  /**
   * Counts one request of `merchantId`; beyond the rate, a ProblemError (429 `rate_limited`) with
   * Retry-After and the RateLimit headers. A limiter that fails lets the request through: a limit is
   * a protection, never a reason to refuse a merchant on its own.
   */
  async admit(merchantId: string): Promise<void> {
    let refused: RateLimiterRes;
    try {
      await this.limiter.consume(merchantId);
      return;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) return;
      refused = error;
    }
    const seconds = Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
    throw new ProblemError(
      problem("rate_limited", `Too many requests: at most ${this.quota} per ${this.windowSeconds} s for a merchant. Retry after ${seconds} s.`),
      {
        "retry-after": String(seconds),
        "ratelimit-policy": this.policy,
        ratelimit: `"${POLICY}";r=${Math.max(0, refused.remainingPoints)};t=${seconds}`,
      },
    );
  }
}
