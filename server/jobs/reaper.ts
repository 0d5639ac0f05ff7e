import type { Logger } from "pino";
import type { CallResult } from "@oncepay/idempotency";
import type { Job } from "./scheduler";

export const REAPER = "reaper";

/** Something left unsettled, with the record that was executing it, if that is still there. */
export interface StaleRecord {
  id: string;
  merchant_id: string;
  record_scope: string | null;
  record_key: string | null;
  record_input: unknown;
  record_state: string | null;
}

/**
 * Where a stale item's settlement runs: the record that was executing it, taken over like any retry
 * (so that nobody else can finish it meanwhile, and a late retry gets the outcome), or, when that
 * record is gone or has no input, a key of its own: the item's id, under operation `own`.
 */
export function reapThrough(item: StaleRecord, original: { operation: string; schema: { parse(input: unknown): unknown } }, own: string) {
  const { record_scope: scope, record_key: key, record_input: input } = item;
  if (scope && key && input && item.record_state !== "completed") {
    return { operation: original.operation, scope: () => scope, key: () => key, input: () => original.schema.parse(input) };
  }
  return { operation: own, scope: () => item.merchant_id, key: () => item.id, input: () => ({ [own]: item.id }) };
}

/** One kind of thing the reaper settles: what is stale, and how to settle one (a call through the pipeline). */
export interface Reapable<T> {
  /** The count's name in the job's totals (`payments`, `refunds`). */
  kind: string;
  stale(limit: number): Promise<T[]>;
  settle(item: T): Promise<CallResult>;
  /** For the log line. */
  describe(item: T): Record<string, unknown>;
}

export interface ReaperOptions {
  intervalMs: number;
  /** Per kind and run. */
  batch: number;
  log: Logger;
  /** Anything else that settles leftovers each run (events that waited for a payment); returns how many. */
  also?: Record<string, () => Promise<number>>;
}

/** One pass over one kind: how many were stale, and how many this pass settled. */
type Pass = (batch: number, log: Logger) => Promise<{ kind: string; stale: number; settled: number }>;

export function reap<T>(reapable: Reapable<T>): Pass {
  return async (batch, log) => {
    const items = await reapable.stale(batch);
    let settled = 0;
    for (const item of items) {
      const result = await reapable.settle(item);
      if (result.outcome === "executed") settled++;
      log.warn({ ...reapable.describe(item), outcome: result.outcome }, `reaper: ${reapable.kind} left unsettled`);
    }
    return { kind: reapable.kind, stale: items.length, settled };
  };
}

/**
 * Nothing stays unsettled: what has been `processing` (or `pending`) longer than the processing
 * timeout and that nobody is finishing is settled from the provider's own answer. Each settlement
 * is one idempotent call that takes the original record over by compare-and-swap, so a client's
 * late retry, the completer and the reaper never settle one thing twice; one still being executed
 * (its lease alive) answers as a conflict and is left for the next run.
 */
export function reaperJob(passes: Pass[], options: ReaperOptions): Job {
  return {
    name: REAPER,
    intervalMs: options.intervalMs,
    async run() {
      const counts: Record<string, number> = {};
      let more = false;
      for (const pass of passes) {
        const { kind, stale, settled } = await pass(options.batch, options.log);
        counts[kind] = settled;
        // Again soon only while it makes progress: a provider that is down must not spin the reaper.
        more ||= stale === options.batch && settled > 0;
      }
      for (const [kind, sweep] of Object.entries(options.also ?? {})) counts[kind] = await sweep();
      return { more, counts };
    },
  };
}
