import type { Logger } from "pino";
import type { Sql } from "../db/sql";
import { claimUnpublished, markPublished } from "./outbox";
import type { OutboxEvent } from "./schema";

export interface RelayOptions {
  intervalMs: number;
  batch: number;
  /** How long a batch stays with a relay that stopped answering before another publishes it. */
  leaseMs: number;
  log: Logger;
}

/** Publishes one event and resolves with the broker's ack. */
export type Publish = (event: OutboxEvent) => Promise<{ duplicate: boolean }>;

/**
 * Moves committed events from the outbox to the broker, at least once: a batch is claimed (a
 * lease, committed at once), published with the event id as the message id, and marked published
 * only after the broker's acks. A relay killed in between leaves the batch to the next, whose
 * copies the broker's duplicate window drops. Never on a request's path: it runs on its own timer.
 */
export class Relay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly publish: Publish,
    private readonly options: RelayOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.running = this.pass()
        .catch((error: unknown) => {
          this.options.log.warn({ err: error }, "relay pass failed");
          return 0;
        })
        .then((published) => {
          if (this.timer) this.timer = setTimeout(tick, published === this.options.batch ? 0 : this.options.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One batch; returns how many it published. */
  async pass(): Promise<number> {
    const batch = await claimUnpublished(this.sql, this.options.batch, this.options.leaseMs);
    const published: { sequence: number; duplicate: boolean }[] = [];
    try {
      for (const event of batch) {
        const ack = await this.publish(event);
        published.push({ sequence: event.sequence, duplicate: ack.duplicate });
      }
    } finally {
      // What the broker acked is marked even when a later publish failed; the rest wait out their lease.
      await markPublished(this.sql, published);
    }
    return published.length;
  }
}
