import type { Logger } from "pino";
import type { CallResult } from "../calls/call";
import type { Abandoned } from "../idempotency/stores/store";

export interface CompleterOptions {
  intervalMs: number;
  /** Records finished per sweep; the rest wait for the next one. */
  batch: number;
  log: Logger;
}

/** How to run an abandoned record of one operation again: through the pipeline, as a job. */
export type Resume = (record: Abandoned) => Promise<CallResult>;

/**
 * Finishes what nobody else will: records stopped after a recovery point (a crashed server, a
 * provider timeout with no retry) are run again from their stored input, so they resume from their
 * last recovery point. Every instance sweeps; the engine's compare-and-swap takeover lets exactly one
 * resume each record, and the others answer as duplicates, so no lock between instances is needed.
 */
export class Completer {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly source: { abandoned(limit: number): Promise<Abandoned[]> },
    private readonly resumers: Record<string, Resume>,
    private readonly options: CompleterOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.sweep()
        .catch((error: unknown) => this.options.log.warn({ err: error }, "completer sweep failed"))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => undefined);
  }

  /** One pass; returns how many records it finished. One pass at a time per process. */
  sweep(): Promise<number> {
    this.sweeping ??= this.pass().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async pass(): Promise<number> {
    let finished = 0;
    for (const record of await this.source.abandoned(this.options.batch)) {
      const resume = this.resumers[record.operation];
      if (!resume) continue;
      const result = await resume(record);
      if (result.outcome === "executed") finished++;
      this.options.log.info({ operation: record.operation, key: record.key, recoveryPoint: record.recoveryPoint, outcome: result.outcome }, "completer run");
    }
    return finished;
  }
}
