import type { Sql } from "../db/sql";
import type { ConsumeError, Consumed } from "./consumer";
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
 * past its safe point, and hands them on as one batch. A reader killed mid-batch loses nothing: what
 * did not commit is still not in the inbox. An event that could not be applied fails the pass, after
 * the others were (so it is tried again next pass, and blocks nothing behind it). One instance reads
 * for each consumer at a time (it is a job, under the scheduler's lease). Returns how many events it
 * handed on.
 */
export async function readerPass(
  sql: Sql,
  consumer: string,
  handle: (events: OutboxEvent[]) => Promise<(Consumed | ConsumeError)[]>,
  options: OutboxReaderOptions,
): Promise<number> {
  const from = await advanceSafePoint(sql, consumer, options.graceSeconds);
  const batch = await unapplied(sql, consumer, from, options.batch);
  const failed = (await handle(batch)).find((fate) => typeof fate !== "string");
  if (failed) throw failed;
  return batch.length;
}
