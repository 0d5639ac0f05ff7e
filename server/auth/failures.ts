import { LRUCache } from "lru-cache";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

/** Failed authentications one address may make per minute (contract: "Principals and scoping"). */
export const FAILED_AUTHENTICATIONS_PER_MINUTE = 20;

/**
 * Counts failed authentications per client address in `limiter` (20 points a minute, shared by
 * instances when its store is) and refuses an address that used them up until its window ends.
 * Whether an address is refused is asked of in-process state only, so a successful authentication
 * costs nothing more: the block is learnt when a failure's consume finds the allowance spent, and
 * remembered here (at most 10 000 addresses, each only until its window ends).
 */
export class FailedAuthentications {
  private readonly blocked = new LRUCache<string, number>({ max: 10_000 });

  constructor(private readonly limiter: RateLimiterAbstract) {}

  /** Seconds until `address` may authenticate again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const until = this.blocked.get(address);
    return until === undefined ? 0 : Math.max(1, Math.ceil((until - Date.now()) / 1000));
  }

  /** Counts one failure of `address`; the one that spends its allowance blocks it, so the next is refused unread. */
  async failed(address: string): Promise<void> {
    try {
      const res = await this.limiter.consume(address);
      if (res.remainingPoints <= 0) this.block(address, res.msBeforeNext);
    } catch (error) {
      if (error instanceof RateLimiterRes) this.block(address, error.msBeforeNext);
      // Otherwise the limiter's store failed: the caller still answers 401, and counting resumes with the store.
    }
  }

  private block(address: string, ms: number): void {
    if (ms > 0) this.blocked.set(address, Date.now() + ms, { ttl: ms });
  }
}
