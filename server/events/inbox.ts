import { statement, type Sql } from "../db/sql";

// Written in the transaction of the consumer's effect: the row and the effect commit together, so
// an event is in the inbox exactly when its effect happened. At or below the safe point an event
// was applied already (that is what the safe point means), whether or not the cleanup has since
// deleted its inbox row: a copy of it is dropped by the safe point itself.
const RECEIVE = statement(
  "inbox_receive",
  `INSERT INTO consumer_inbox (consumer, event_id, sequence)
   SELECT $1, $2, $3::bigint WHERE $3::bigint > coalesce((SELECT safe_sequence FROM consumer_state WHERE consumer = $1), 0)
   ON CONFLICT (consumer, event_id) DO NOTHING`,
);
const APPLIED = statement(
  "consumer_state_applied",
  `INSERT INTO consumer_state (consumer, watermark, applied, applied_at) VALUES ($1, $2::bigint, 1, now())
   ON CONFLICT (consumer) DO UPDATE SET watermark = GREATEST(consumer_state.watermark, EXCLUDED.watermark),
     applied = consumer_state.applied + 1, applied_at = now()`,
);
const DUPLICATE = statement(
  "consumer_state_duplicate",
  `INSERT INTO consumer_state (consumer, duplicates) VALUES ($1, 1)
   ON CONFLICT (consumer) DO UPDATE SET duplicates = consumer_state.duplicates + 1`,
);

/** Puts the event in `consumer`'s inbox; false when it was there already (a copy, dropped). */
export async function receive(tx: Sql, consumer: string, event: { id: string; sequence: number }): Promise<boolean> {
  return (await tx.count(RECEIVE, [consumer, event.id, event.sequence])) === 1;
}

/** Counts an applied event and moves the watermark (the highest sequence applied). */
export async function countApplied(tx: Sql, consumer: string, sequence: number): Promise<void> {
  await tx.count(APPLIED, [consumer, sequence]);
}

/** Counts a copy the consumer dropped (by its inbox, or by the idempotency record before it). */
export async function countDuplicate(sql: Sql, consumer: string): Promise<void> {
  await sql.count(DUPLICATE, [consumer]);
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
