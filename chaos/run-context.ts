import type Stripe from "stripe";
import type { History } from "./history";
import type { Random } from "./random";

/** What every client of a run shares. */
export interface RunContext {
  /** The balancer in front of the instances. */
  appUrl: string;
  providerUrl: string;
  /** Refunds at the provider, as the merchant's own back office would make them. */
  stripe: Stripe;
  history: History;
  seed: number;
  random: Random;
  /** No checkout starts after this. */
  stopAt: number;
  /** No retry after this: an attempt still without a final answer is recorded as such. */
  giveUpAt: number;
  /** Refund races still running, awaited before the run quiesces. */
  races: Set<Promise<void>>;
  log(line: string): void;
}
