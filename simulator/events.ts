import Stripe from "stripe";
import { newId, unixNow } from "./ids";
import type { Queryable } from "./store";

export type EventType = "payment_intent.succeeded" | "payment_intent.payment_failed" | "charge.refunded" | "charge.dispute.created";

/** The API version events claim to be rendered in: the one the installed SDK speaks, so its types fit what arrives. */
export const API_VERSION = Stripe.API_VERSION;

/** What Stripe reports about the API request that caused an event; the idempotency key ties a webhook to the call that made it. */
export interface EventOrigin {
  idempotencyKey: string | null;
}

export const NO_ORIGIN: EventOrigin = { idempotencyKey: null };

/**
 * Appends to the `events` outbox. Callers pass the transaction that makes the state change, so an
 * event exists exactly when its change does. Webhook delivery (webhooks/) reads this table in `seq`
 * order and keeps its own progress.
 */
export async function recordEvent(tx: Queryable, type: EventType, object: unknown, origin: EventOrigin): Promise<string> {
  const id = newId("evt");
  await tx.query("INSERT INTO events (id, type, created, data, idempotency_key) VALUES ($1, $2, $3, $4, $5)", [
    id,
    type,
    unixNow(),
    JSON.stringify({ object }),
    origin.idempotencyKey,
  ]);
  return id;
}

export interface EventRecord {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: unknown };
  livemode: false;
  request: { id: null; idempotency_key: string | null };
  type: EventType;
}

export interface EventRow {
  seq: number;
  id: string;
  type: EventType;
  created: number;
  data: { object: unknown };
  idempotency_key: string | null;
}

export const EVENT_COLUMNS = "seq, id, type, created, data, idempotency_key";

export function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    object: "event",
    api_version: API_VERSION,
    created: row.created,
    data: row.data,
    livemode: false,
    request: { id: null, idempotency_key: row.idempotency_key },
    type: row.type,
  };
}

export async function findEvent(db: Queryable, id: string): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [id]);
  return rows[0];
}

export async function allEvents(db: Queryable): Promise<EventRecord[]> {
  const { rows } = await db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`);
  return rows.map(toEvent);
}
