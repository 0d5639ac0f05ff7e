import type { Sql } from "../db/sql";
import { claimUnpublished, markPublished } from "./outbox";
import type { OutboxEvent } from "./schema";

/** Publishes one event and resolves with the broker's ack. */
export type Publish = (event: OutboxEvent) => Promise<{ duplicate: boolean }>;

export interface RelayOptions {
  batch: number;
  /** How long a batch stays with a relay that stopped answering before another publishes it. */
  leaseMs: number;
}

/**
 * One pass of the relay, moving committed events from the outbox to the broker, at least once: a
 * batch is claimed (a lease, committed at once), published with the event id as the message id,
 * and marked published only after the broker's acks. A relay killed in between leaves the batch to
 * the next, whose copies the broker's duplicate window drops. Never on a request's path: it is a job.
 * Returns how many it published.
 */
export async function relayPass(sql: Sql, publish: Publish, options: RelayOptions): Promise<number> {
  const batch = await claimUnpublished(sql, options.batch, options.leaseMs);
  const published: { sequence: number; duplicate: boolean }[] = [];
  try {
    for (const event of batch) {
      const ack = await publish(event);
      published.push({ sequence: event.sequence, duplicate: ack.duplicate });
    }
  } finally {
    // What the broker acked is marked even when a later publish failed; the rest wait out their lease.
    await markPublished(sql, published);
  }
  return published.length;
}
