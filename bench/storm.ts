import { randomUUID } from "node:crypto";

export interface StormResult {
  rounds: number;
  size: number;
  /** Payments made per storm (warm-up included): 1 is exactly-once; more is a double charge. */
  chargesPerStorm: number;
  maxChargesInOneStorm: number;
  /**
   * PaymentIntents the provider made per storm (warm-up included), counted in its own ledger: the
   * money actually taken. 1 is exactly-once; null when the target has no provider to ask.
   */
  providerChargesPerStorm: number | null;
  maxProviderChargesInOneStorm: number | null;
  /** From the first request sent until the last of the storm is answered (any status). */
  p50AllAnsweredMs: number;
  p99AllAnsweredMs: number;
  /** Answers over all rounds (warm-up included), by status: 201 (first or replay), 409 (still in flight), … */
  statuses: Record<string, number>;
}

export interface StormTarget {
  /** Sends one request with `key`; resolves to the HTTP status. */
  send(key: string): Promise<number>;
  /** How many payments exist under `key`. */
  charges(key: string): Promise<number>;
  /**
   * How many PaymentIntents the provider made for the payments under each key, asked once after
   * every round (the provider's ledger is read whole, so not once per round).
   */
  providerCharges?(keys: string[]): Promise<number[]>;
}

/**
 * `size` concurrent duplicates of one new key, `rounds` times, after one warm-up round (which
 * opens the client's connections; its charges count, its time does not).
 */
export async function storm(target: StormTarget, size: number, rounds: number): Promise<StormResult> {
  const durations: number[] = [];
  const charges: number[] = [];
  const statuses: Record<string, number> = {};
  const keys: string[] = [];
  for (let round = -1; round < rounds; round++) {
    const key = `bench-storm-${randomUUID()}`;
    keys.push(key);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: size }, () => target.send(key)));
    if (round >= 0) durations.push(performance.now() - started);
    for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
    charges.push(await target.charges(key));
  }
  const atProvider = target.providerCharges ? await target.providerCharges(keys) : null;
  return {
    rounds,
    size,
    chargesPerStorm: mean(charges),
    maxChargesInOneStorm: Math.max(...charges),
    providerChargesPerStorm: atProvider && mean(atProvider),
    maxProviderChargesInOneStorm: atProvider && Math.max(...atProvider),
    p50AllAnsweredMs: percentile(durations, 0.5),
    p99AllAnsweredMs: percentile(durations, 0.99),
    statuses,
  };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0);
}
