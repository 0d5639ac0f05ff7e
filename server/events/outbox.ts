import { statement, type Sql } from "../db/sql";
import { newId } from "../ids";
import { outboxEventSchema, type NewEvent, type OutboxEvent } from "./schema";

// Natural idempotency: one event per (type, subject), however often the movement is applied.
const INSERT = statement(
  "outbox_insert",
  `INSERT INTO events (id, merchant_id, type, subject_id, data) VALUES ($1, $2, $3, $4, $5::jsonb)
   ON CONFLICT (type, subject_id) DO NOTHING`,
);

/**
 * Writes the event, as its producer built it, in the caller's transaction, so it commits (or not)
 * with the change itself. Nothing is published here: the relay reads the outbox after the commit.
 */
export async function emit(tx: Sql, event: NewEvent<string, object>): Promise<boolean> {
  return (await tx.count(INSERT, [newId("evt"), event.merchantId, event.type, event.subjectId, JSON.stringify(event.data)])) === 1;
}

interface EventRow {
  sequence: string;
  id: string;
  merchant_id: string;
  type: string;
  created_at: Date;
  data: unknown;
}

const EVENT_COLUMNS = "sequence, id, merchant_id, type, created_at, data";

/** A row as every reader hands it on; the zod parse is the boundary between the table and its readers. */
export function toEvent(row: EventRow): OutboxEvent {
  return outboxEventSchema.parse({
    id: row.id,
    sequence: Number(row.sequence),
    merchant: row.merchant_id,
    type: row.type,
    createdAt: row.created_at.toISOString(),
    data: row.data,
  });
}

const AFTER = statement("outbox_sequence_of", "SELECT sequence FROM events WHERE id = $1 AND merchant_id = $2");
const PAGE = statement("outbox_page", `SELECT ${EVENT_COLUMNS} FROM events WHERE merchant_id = $1 AND sequence > $2::bigint ORDER BY sequence LIMIT $3::int`);

/** A merchant's events after `after` (an event id), ascending; null when `after` is not theirs. */
export async function listEvents(sql: Sql, merchantId: string, page: { limit: number; after?: string }) {
  let from = "0";
  if (page.after) {
    const [row] = await sql.rows<{ sequence: string }>(AFTER, [page.after, merchantId]);
    if (!row) return null;
    from = row.sequence;
  }
  const rows = await sql.rows<EventRow>(PAGE, [merchantId, from, page.limit + 1]);
  return { data: rows.slice(0, page.limit).map(toEvent), hasMore: rows.length > page.limit };
}

// The relay's batch claim: SKIP LOCKED so relays on several instances take different rows, and a
// lease rather than a held transaction, since publishing is a network call. A relay killed mid-batch
// leaves rows whose lease runs out; the next relay publishes them again and the broker drops the copies.
const CLAIM = statement(
  "outbox_claim",
  `UPDATE events SET relay_lease_until = now() + $2::int * interval '1 millisecond'
    WHERE sequence IN (SELECT sequence FROM events
                        WHERE published_at IS NULL AND (relay_lease_until IS NULL OR relay_lease_until < now())
                        ORDER BY sequence LIMIT $1::int FOR UPDATE SKIP LOCKED)
   RETURNING ${EVENT_COLUMNS}`,
);
const MARK = statement(
  "outbox_mark_published",
  `UPDATE events SET published_at = now(), publish_duplicate = d.duplicate, relay_lease_until = NULL
     FROM unnest($1::bigint[], $2::boolean[]) AS d(sequence, duplicate)
    WHERE events.sequence = d.sequence`,
);

/** Unpublished events, oldest first, leased to this caller for `leaseMs`. */
export async function claimUnpublished(sql: Sql, limit: number, leaseMs: number): Promise<OutboxEvent[]> {
  const rows = await sql.rows<EventRow>(CLAIM, [limit, leaseMs]);
  return rows.map(toEvent).sort((a, b) => a.sequence - b.sequence);
}

/** Only after the broker's ack: an event is published once the broker holds it. */
export async function markPublished(sql: Sql, published: { sequence: number; duplicate: boolean }[]): Promise<void> {
  if (!published.length) return;
  await sql.count(MARK, [published.map((p) => p.sequence), published.map((p) => p.duplicate)]);
}

const BY_IDS = statement("outbox_by_ids", `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1::text[])`);

/** The events the outbox holds among `ids`, by id; an id it never held (or the cleanup deleted) is absent. */
export async function eventsByIds(sql: Sql, ids: readonly string[]): Promise<Map<string, OutboxEvent>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.rows<EventRow>(BY_IDS, [[...new Set(ids)]]);
  return new Map(rows.map((row) => [row.id, toEvent(row)]));
}

const FROM_SEQUENCE = statement("outbox_from_sequence", `SELECT ${EVENT_COLUMNS} FROM events WHERE sequence >= $1::bigint ORDER BY sequence LIMIT $2::int`);

/** Every event from `sequence` on, a page at a time (replays and rebuilds). */
export async function eventsFrom(sql: Sql, sequence: number, limit: number): Promise<OutboxEvent[]> {
  return (await sql.rows<EventRow>(FROM_SEQUENCE, [sequence, limit])).map(toEvent);
}

// An event not in the consumer's inbox, past its safe point. The anti-join, not a cursor: a
// transaction that took a lower sequence may commit after a higher one was read.
const UNAPPLIED = statement(
  "outbox_unapplied",
  `SELECT ${EVENT_COLUMNS} FROM events e
    WHERE e.sequence > $2::bigint
      AND NOT EXISTS (SELECT 1 FROM consumer_inbox i WHERE i.consumer = $1 AND i.sequence > $2::bigint AND i.sequence = e.sequence AND i.event_id = e.id)
    ORDER BY e.sequence LIMIT $3::int`,
);

/** What `consumer` has not applied yet, oldest first, starting after `after`. */
export async function unapplied(sql: Sql, consumer: string, after: number, limit: number): Promise<OutboxEvent[]> {
  return (await sql.rows<EventRow>(UNAPPLIED, [consumer, after, limit])).map(toEvent);
}
