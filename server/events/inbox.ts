import { statement, type Sql } from "../db/sql";

// Written in the transaction of the consumer's effects: the rows and the effects commit together, so
// an event is in the inbox exactly when its effect happened. At or below the safe point an event
// was applied already (that is what the safe point means), whether or not the cleanup has since
// deleted its inbox row: a copy of it is dropped by the safe point itself. Rows go in in sequence
// order: two transactions that share events take their rows in the same order, so one waits for
// the other (and then drops what the other committed) rather than deadlocking.
const RECEIVE = statement(
  "inbox_receive",
  `INSERT INTO consumer_inbox (consumer, event_id, sequence)
   SELECT $1, r.event_id, r.sequence FROM unnest($2::text[], $3::bigint[]) AS r(event_id, sequence)
    WHERE r.sequence > coalesce((SELECT safe_sequence FROM consumer_state WHERE consumer = $1), 0)
    ORDER BY r.sequence
   ON CONFLICT (consumer, event_id) DO NOTHING
   RETURNING event_id`,
);
const COUNT = statement(
  "consumer_state_count",
  `INSERT INTO consumer_state (consumer, watermark, applied, duplicates, applied_at)
   VALUES ($1, $2::bigint, $3::bigint, $4::bigint, CASE WHEN $3::bigint > 0 THEN now() END)
   ON CONFLICT (consumer) DO UPDATE SET watermark = GREATEST(consumer_state.watermark, EXCLUDED.watermark),
     applied = consumer_state.applied + EXCLUDED.applied, duplicates = consumer_state.duplicates + EXCLUDED.duplicates,
     applied_at = coalesce(EXCLUDED.applied_at, consumer_state.applied_at)`,
);

/** Puts the events (distinct ids) in `consumer`'s inbox; returns the ids that were not there yet: the rest are copies, dropped. */
export async function receive(tx: Sql, consumer: string, events: readonly { id: string; sequence: number }[]): Promise<Set<string>> {
  const rows = await tx.rows<{ event_id: string }>(RECEIVE, [consumer, events.map((e) => e.id), events.map((e) => e.sequence)]);
  return new Set(rows.map((r) => r.event_id));
}

/** Counts a batch's applied events and dropped copies, and moves the watermark (the highest sequence applied). */
export async function countBatch(tx: Sql, consumer: string, batch: { applied: number; duplicates: number; watermark: number }): Promise<void> {
  await tx.count(COUNT, [consumer, batch.watermark, batch.applied, batch.duplicates]);
}

// The safe point: every event at or below it is in the inbox, so reading can start after it. It
// only passes events created more than `grace` ago, because a transaction still open holds a
// sequence below what others have committed; `created_at` is the insert's own clock, and no
// transaction of ours stays open that long after writing its event.
const ADVANCE = statement(
  "consumer_state_advance",
  `WITH s AS (SELECT coalesce((SELECT safe_sequence FROM consumer_state WHERE consumer = $1), 0) AS safe),
        gap AS (SELECT min(e.sequence) - 1 AS upto FROM events e, s
                 WHERE e.sequence > s.safe
                   AND NOT EXISTS (SELECT 1 FROM consumer_inbox i WHERE i.consumer = $1 AND i.sequence > s.safe AND i.sequence = e.sequence AND i.event_id = e.id)),
        settled AS (SELECT coalesce((SELECT sequence FROM events WHERE created_at < clock_timestamp() - $2::int * interval '1 second'
                                      ORDER BY sequence DESC LIMIT 1), 0) AS upto),
        top AS (SELECT coalesce(max(sequence), 0) AS upto FROM events)
   INSERT INTO consumer_state (consumer, safe_sequence)
   SELECT $1, LEAST(coalesce(gap.upto, top.upto), settled.upto) FROM gap, settled, top
   ON CONFLICT (consumer) DO UPDATE SET safe_sequence = GREATEST(consumer_state.safe_sequence, EXCLUDED.safe_sequence)
   RETURNING safe_sequence`,
);

/** Moves `consumer`'s safe point as far as it soundly goes; returns it. */
export async function advanceSafePoint(sql: Sql, consumer: string, graceSeconds: number): Promise<number> {
  const [row] = await sql.rows<{ safe_sequence: string }>(ADVANCE, [consumer, graceSeconds]);
  return Number(row?.safe_sequence ?? 0);
}
