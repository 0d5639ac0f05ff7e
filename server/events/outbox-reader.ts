import type { Logger } from "pino";
import type { Sql } from "../db/sql";
import { newId } from "../ids";
import type { Consumed } from "./consumer";
import { advanceSafePoint, lease, releaseLease } from "./inbox";
import { unapplied } from "./outbox";
import type { OutboxEvent } from "./schema";

export interface OutboxReaderOptions {
  intervalMs: number;
  batch: number;
  /** How long a reader that stopped answering keeps the consumer from the others. */
  leaseMs: number;
  /** See `advanceSafePoint`: longer than any transaction of ours stays open after writing its event. */
  graceSeconds: number;
  log: Logger;
}

/**
 * A consumer fed straight from the outbox, with no broker: the embedded default, and PostgreSQL
 * without `NATS_URL`. One instance reads for each consumer at a time (a lease on its state row); it
 * takes what is not in the consumer's inbox yet, oldest first, and hands each event on. A reader
 * killed mid-batch loses nothing: what it did not apply is still not in the inbox.
 */
export class OutboxReader {
  private readonly owner = newId("reader");
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly consumer: string,
    private readonly handle: (event: OutboxEvent) => Promise<Consumed>,
    private readonly options: OutboxReaderOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.pass()
        .then((more) => more)
        .catch((error: unknown) => {
          this.options.log.warn({ err: error, consumer: this.consumer }, "outbox reader pass failed");
          return false;
        })
        .then((more) => {
          // A full batch means more is waiting: go on at once.
          if (this.timer) this.timer = setTimeout(tick, more ? 0 : this.options.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await releaseLease(this.sql, this.consumer, this.owner).catch(() => undefined);
  }

  /** One batch; true when it was full. */
  async pass(): Promise<boolean> {
    if (!(await lease(this.sql, this.consumer, this.owner, this.options.leaseMs))) return false;
    const from = await advanceSafePoint(this.sql, this.consumer, this.options.graceSeconds);
    const batch = await unapplied(this.sql, this.consumer, from, this.options.batch);
    for (const event of batch) await this.handle(event);
    return batch.length === this.options.batch;
  }
}
