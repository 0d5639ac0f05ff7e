import type { Logger } from "pino";
import type { Abandoned, CallResult } from "@oncepay/idempotency";
import { keyDigest } from "../observability/key-digest";
import type { Job } from "./scheduler";

export interface CompleterOptions {
  intervalMs: number;
  /** Records finished per sweep; the rest wait for the next one. */
  batch: number;
  /**
   * Only records first claimed less than this long ago: older ones are the reaper's, which settles
   * them from the provider's answer and never charges a customer who may have long left.
   */
  maxAgeSeconds?: number;
  log: Logger;
}

/** How to run an abandoned record of one operation again: through the pipeline, as a job. */
export type Resume = (record: Abandoned) => Promise<CallResult>;

export const COMPLETER = "completer";

/**
 * Finishes what nobody else will: records stopped after a recovery point (a crashed server, a
 * provider timeout with no retry) are run again from their stored input, so they resume from their
 * last recovery point. The engine's compare-and-swap takeover lets exactly one resumer finish each
 * record and the others answer as duplicates, so a sweep is safe wherever and however often it runs.
 */
export class Completer {
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly source: { abandoned(limit: number, maxAgeSeconds?: number): Promise<Abandoned[]> },
    private readonly resumers: Record<string, Resume>,
    private readonly options: CompleterOptions,
  ) {}

  /** For the scheduler: a sweep every interval, at once again while sweeps come back full. */
  get job(): Job {
    return {
      name: COMPLETER,
      intervalMs: this.options.intervalMs,
      run: async () => {
        const { seen, finished } = await this.pass();
        return { more: seen === this.options.batch, counts: { finished } };
      },
    };
  }

  /** One pass; returns how many records it finished. One pass at a time per process. */
  sweep(): Promise<number> {
    this.sweeping ??= this.pass()
      .then((pass) => pass.finished)
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async pass(): Promise<{ seen: number; finished: number }> {
    let finished = 0;
    const records = await this.source.abandoned(this.options.batch, this.options.maxAgeSeconds);
    for (const record of records) {
      const resume = this.resumers[record.operation];
      if (!resume) continue;
      const result = await resume(record);
      if (result.outcome === "executed") finished++;
      this.options.log.info(
        { operation: record.operation, keyDigest: keyDigest(record.key), recoveryPoint: record.recoveryPoint, outcome: result.outcome },
        "completer run",
      );
    }
    return { seen: records.length, finished };
  }
}
