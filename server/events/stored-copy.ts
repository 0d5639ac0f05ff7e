import canonicalize from "canonicalize";
import type { Sql } from "../db/sql";
import { eventsByIds } from "./outbox";
import type { OutboxEvent } from "./schema";

/**
 * A broker message is a pointer, not a source: anyone who may publish on the stream's subjects
 * could otherwise create receipts, or take a real event's id in an inbox ahead of the real event.
 * The event is what the outbox holds under the message's id, whatever the message says: null (drop
 * the message) for an id the outbox does not hold. A message with a known id but another body is
 * still a forgery, flagged for the log; its id's real event is applied, because the forger may also
 * have taken the id's Nats-Msg-Id, and the broker would then drop the relay's real message as a copy.
 * Compared as RFC 8785 canonical JSON: two parses of one event are equal whatever their key order.
 * A batch of messages is looked up in one read; each message's copy comes back in its place.
 */
export async function storedCopies(sql: Sql, messages: readonly OutboxEvent[]): Promise<({ event: OutboxEvent; altered: boolean } | null)[]> {
  const stored = await eventsByIds(
    sql,
    messages.map((m) => m.id),
  );
  return messages.map((message) => {
    const event = stored.get(message.id);
    return event ? { event, altered: !same(event, message) } : null;
  });
}

// The relay publishes the outbox's own JSON, so a true copy is nearly always the same text; only
// text that differs needs the (slower) canonical comparison.
function same(stored: OutboxEvent, message: OutboxEvent): boolean {
  return JSON.stringify(stored) === JSON.stringify(message) || canonicalize(stored) === canonicalize(message);
}
