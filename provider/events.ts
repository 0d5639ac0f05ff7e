import { newId, unixNow } from "./ids";
import type { Queryable } from "./store";

export type EventType = "payment_intent.succeeded" | "payment_intent.payment_failed" | "charge.refunded";

/**
 * Appends to the `events` outbox. Callers pass the transaction that makes the state change, so an
 * event exists exactly when its change does. Webhook delivery will read this table in `seq` order
 * and track its own progress per endpoint; nothing here needs to change for it.
 */
export async function recordEvent(tx: Queryable, type: EventType, object: unknown): Promise<string> {
  const id = newId("evt");
  await tx.query("INSERT INTO events (id, type, created, data) VALUES ($1, $2, $3, $4)", [id, type, unixNow(), JSON.stringify({ object })]);
  return id;
}

export interface EventRecord {
  id: string;
  object: "event";
  type: EventType;
  created: number;
  livemode: false;
  data: { object: unknown };
}

interface EventRow {
  id: string;
  type: EventType;
  created: number;
  data: { object: unknown };
}

export async function allEvents(db: Queryable): Promise<EventRecord[]> {
  const { rows } = await db.query<EventRow>("SELECT id, type, created, data FROM events ORDER BY seq");
  return rows.map((r) => ({ id: r.id, object: "event", type: r.type, created: r.created, livemode: false, data: r.data }));
}
