import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { limiterFactory, type LimiterSpec, type LimiterStore, type LimiterStores } from "./limiters";
import { MerchantRate } from "./merchant-rate";

export type { LimiterSpec, LimiterStore } from "./limiters";

/**
 * The app's limits (docs/operations.md, "Limits"), built once in the composition root and kept on
 * `App`: merchants' request rate and keys in flight, and the factory other limits are made with, on
 * the same store (the failed-authentication limits, say).
 */
export interface Limits {
  /** Where the counters live: shared by every instance (redis, postgres) or this process's (memory). */
  readonly store: LimiterStore;
  /** A limiter on that store: `keyPrefix` must be unique to it. */
  makeLimiter(spec: LimiterSpec): RateLimiterAbstract;
  /**
   * Counts a request of an authenticated merchant; throws a ProblemError (429 `rate_limited`) beyond
   * MERCHANT_RATE_LIMIT. Called right after authentication, for merchants' requests only.
   */
  admit(merchantId: string): Promise<void>;
  /** MERCHANT_MAX_IN_FLIGHT for the pipeline's merchant calls; undefined when off. */
  readonly maxInFlight: number | undefined;
}

export interface LimitsConfig extends LimiterStores {
  /** Requests per second per merchant; 0: off. */
  ratePerSecond: number;
  /** Keys in flight per merchant; 0: off. */
  maxInFlight: number;
}

export function createLimits(config: LimitsConfig): Limits {
  const factory = limiterFactory(config);
  const rate = config.ratePerSecond > 0 ? new MerchantRate(factory, config.ratePerSecond) : null;
  return {
    store: factory.store,
    makeLimiter: (spec) => factory.make(spec),
    admit: rate ? (merchantId) => rate.admit(merchantId) : () => Promise.resolve(),
    maxInFlight: config.maxInFlight > 0 ? config.maxInFlight : undefined,
  };
}
