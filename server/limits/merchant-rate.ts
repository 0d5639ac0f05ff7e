import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { problem, ProblemError } from "../problem";
import type { LimiterFactory } from "./limiters";

/** The policy's name in the IETF RateLimit headers. */
const POLICY = "merchant";

/** Points this instance takes from a shared count at once: a fiftieth of the quota. */
const CHUNK_FRACTION = 50;

/** What this instance holds of a merchant's current window. */
interface Held {
  /** Points taken from the shared count and not yet spent here. */
  left: number;
  /** Epoch ms at which the window ends (and what is left of it lapses). */
  until: number;
  /** The window is full: every request until `until` is refused. */
  refused: boolean;
}

/**
 * A merchant's request rate, counted across all instances: `perSecond` on average, bursts up to
 * twice that. One fixed window of two seconds holding twice the rate does both with one counter
 * (a BurstyRateLimiter would cost a second store call for every request beyond the base rate,
 * exactly when the store is busiest).
 *
 * On a shared store an instance takes its points in chunks (a fiftieth of the quota) and spends
 * them locally, so the store is asked once per chunk, not once per request: a merchant at 1000/s
 * costs Redis or PostgreSQL about 25 statements a second. Never more than the quota is admitted in
 * a window; an instance's unspent chunk lapses with the window, so a merchant at its very limit may
 * get up to a chunk per instance less. Small quotas (below 100) are counted one by one.
 */
export class MerchantRate {
  private readonly limiter: RateLimiterAbstract;
  /** The points of one window, as the RateLimit-Policy header states them. */
  private readonly quota: number;
  private readonly chunk: number;
  private readonly held = new Map<string, Held>();
  /** A chunk on its way from the store, shared by the merchant's requests that arrive meanwhile. */
  private readonly reserving = new Map<string, Promise<void>>();

  constructor(
    factory: LimiterFactory,
    perSecond: number,
    private readonly windowSeconds = 2,
  ) {
    this.quota = perSecond * windowSeconds;
    this.chunk = factory.store === "memory" ? 1 : Math.max(1, Math.floor(this.quota / CHUNK_FRACTION));
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
    for (;;) {
      const held = this.held.get(merchantId);
      if (held && held.until > Date.now()) {
        if (held.refused) throw this.refusal(held.until - Date.now());
        if (held.left > 0) {
          held.left--;
          return;
        }
      }
      const pending = this.reserving.get(merchantId);
      if (pending) {
        await pending;
        continue;
      }
      const reservation = this.reserve(merchantId);
      this.reserving.set(merchantId, reservation);
      try {
        await reservation;
      } finally {
        this.reserving.delete(merchantId);
      }
    }
  }

  /** Takes a chunk of the merchant's window from the store, or learns that the window is full. */
  private async reserve(merchantId: string): Promise<void> {
    const asked = Date.now();
    try {
      const taken = await this.limiter.consume(merchantId, this.chunk);
      this.held.set(merchantId, { left: this.chunk, until: asked + windowLeft(taken, this.windowSeconds), refused: false });
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) {
        // The limiter failed outright (its insurance too): admit, and ask again next time.
        this.held.set(merchantId, { left: 1, until: asked + 1, refused: false });
        return;
      }
      // Over the quota by the chunk at most: what there was room for before it is still ours.
      const room = error.consumedPoints > this.quota ? this.quota - (error.consumedPoints - this.chunk) : 0;
      const until = asked + windowLeft(error, this.windowSeconds);
      this.held.set(merchantId, room > 0 ? { left: room, until, refused: false } : { left: 0, until, refused: true });
    }
    this.forgetLapsed(asked);
  }

  private refusal(ms: number): ProblemError {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new ProblemError(
      problem("rate_limited", `Too many requests: at most ${this.quota} per ${this.windowSeconds} s for a merchant. Retry after ${seconds} s.`),
      {
        "retry-after": String(seconds),
        "ratelimit-policy": this.policy,
        ratelimit: `"${POLICY}";r=0;t=${seconds}`,
      },
    );
  }

  /** Bounded: merchants whose window has ended are forgotten, now and then. */
  private forgetLapsed(now: number): void {
    if (this.held.size < 1_000) return;
    for (const [merchantId, held] of this.held) if (held.until <= now) this.held.delete(merchantId);
  }
}

/** What is left of the store's window, in ms (a store that cannot say: the whole window). */
function windowLeft(res: RateLimiterRes, windowSeconds: number): number {
  return res.msBeforeNext > 0 ? res.msBeforeNext : windowSeconds * 1000;
}
