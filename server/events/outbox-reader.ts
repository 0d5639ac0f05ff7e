import type { Sql } from "../db/sql";
import type { Consumed } from "./consumer";
import { advanceSafePoint } from "./inbox";
import { unapplied } from "./outbox";
import type { OutboxEvent } from "./schema";

export interface OutboxReaderOptions {
  batch: number;
  /** See `advanceSafePoint`: longer than any transaction of ours stays open after writing its event. */
  graceSeconds: number;
}

/**
 * One pass of a consumer fed straight from the outbox, with no broker: the embedded default, and
 * PostgreSQL without `NATS_URL`. It takes what is not in the consumer's inbox yet, oldest first,
 * past its safe point, and hands each event on. A reader killed mid-batch loses nothing: what it did
 * not apply is still not in the inbox. One instance reads for each consumer at a time (it is a job,
 * under the scheduler's lease). Returns how many events it handed on.
 */
export async function readerPass(sql: Sql, consumer: string, handle: (event: OutboxEvent) => Promise<Consumed>, options: OutboxReaderOptions): Promise<number> {
  const from = await advanceSafePoint(sql, consumer, options.graceSeconds);
  const batch = await unapplied(sql, consumer, from, options.batch);
  for (const event of batch) await handle(event);
  return batch.length;
}
