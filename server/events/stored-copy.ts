import type { Sql } from "../db/sql";
import { eventById } from "./outbox";
import type { OutboxEvent } from "./schema";

/**
 * A broker message is a pointer, not a source: anyone who may publish on the stream's subjects
 * could otherwise create receipts, or take a real event's id in an inbox ahead of the real event.
 * The event is what the outbox holds under the message's id, whatever the message says: null (drop
 * the message) for an id the outbox does not hold. A message with a known id but another body is
 * still a forgery, flagged for the log; its id's real event is applied, because the forger may also
 * have taken the id's Nats-Msg-Id, and the broker would then drop the relay's real message as a copy.
 */
export async function storedCopy(sql: Sql, message: OutboxEvent): Promise<{ event: OutboxEvent; altered: boolean } | null> {
  const stored = await eventById(sql, message.id);
  if (!stored) return null;
  return { event: stored, altered: canonical(stored) !== canonical(message) };
}

/** JSON with every object's keys sorted: two parses of one event compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
