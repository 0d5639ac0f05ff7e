import { randomUUID } from "node:crypto";

export interface StormResult {
  rounds: number;
  size: number;
  /** Payments made per storm (warm-up included): 1 is exactly-once; more is a double charge. */
  chargesPerStorm: number;
  maxChargesInOneStorm: number;
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
}

/**
 * `size` concurrent duplicates of one new key, `rounds` times, after one warm-up round (which
 * opens the client's connections; its charges count, its time does not).
 */
export async function storm(target: StormTarget, size: number, rounds: number): Promise<StormResult> {
  const durations: number[] = [];
  const charges: number[] = [];
  const statuses: Record<string, number> = {};
  for (let round = -1; round < rounds; round++) {
    const key = `bench-storm-${randomUUID()}`;
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: size }, () => target.send(key)));
    if (round >= 0) durations.push(performance.now() - started);
    for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
    charges.push(await target.charges(key));
  }
  return {
    rounds,
    size,
    chargesPerStorm: charges.reduce((a, b) => a + b, 0) / charges.length,
    maxChargesInOneStorm: Math.max(...charges),
    p50AllAnsweredMs: percentile(durations, 0.5),
    p99AllAnsweredMs: percentile(durations, 0.99),
    statuses,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0);
}
