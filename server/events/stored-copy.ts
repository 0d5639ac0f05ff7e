import type { Sql } from "../db/sql";
import { eventById } from "./outbox";
import type { OutboxEvent } from "./schema";

/**
 * A broker message is a pointer, not a source: anyone who may publish on the stream's subjects
 * could otherwise create receipts, or take a real event's id in an inbox before the real event
 * arrives. The event is what the outbox holds under the message's id, and only when the message
 * says exactly that; null (drop the message) for an id the outbox never held or a body that differs.
 */
export async function storedCopy(sql: Sql, message: OutboxEvent): Promise<OutboxEvent | null> {
  const stored = await eventById(sql, message.id);
  if (!stored || canonical(stored) !== canonical(message)) return null;
  return stored;
}

/** JSON with every object's keys sorted: two parses of one event compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
