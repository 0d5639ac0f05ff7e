import { describe, expect, it } from "vitest";
import { histogramPercentile } from "@/server/dashboard/queries";

// The bin request_latency_bin (migration 20261207000000) puts a latency in: four per doubling from 0.125 ms.
const bin = (ms: number) => Math.min(75, Math.max(0, Math.floor((4 * Math.log(Math.max(ms, 0.125))) / Math.log(2)) + 12));

function histogramOf(latencies: number[]): number[] {
  const h = Array<number>(76).fill(0);
  for (const ms of latencies) h[bin(ms)]! += 1;
  return h;
}

describe("latency percentiles from the request rollup's histograms", () => {
  it("is within 9 % of the exact percentile, whatever the latencies", () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => 0.3 + ((i * 7919) % 1000) * 0.37);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const p of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(p * sorted.length) - 1]!;
      const estimate = histogramPercentile(histogramOf(latencies), p)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.09);
    }
  });

  it("is null for an empty histogram, and the top bin's middle past the last bound", () => {
    expect(histogramPercentile(Array<number>(76).fill(0), 0.5)).toBeNull();
    expect(histogramPercentile([], 0.99)).toBeNull();
    expect(histogramPercentile(histogramOf([100_000]), 0.5)).toBeCloseTo(2 ** ((75 - 11.5) / 4));
  });
});
