import type { CallPipeline } from "../calls/pipeline";
import type { Sql } from "../db/sql";
import { countApplied, countDuplicate, receive } from "./inbox";
import type { OutboxEvent } from "./schema";

/** A downstream consumer: what it does with one event, inside the transaction that also fills its inbox. */
export interface Consumer {
  /** Also its JetStream durable name and its inbox's name. */
  name: string;
  apply(tx: Sql, event: OutboxEvent): Promise<void>;
}

export const CONSUME = "event.consume";
/** How long a copy of an event still being applied elsewhere waits for it, rather than failing. */
const COPY_WAIT_MS = 10_000;

/** What became of one delivery: applied now, or a copy dropped by the idempotency record or the inbox. */
export type Consumed = "applied" | "duplicate";

/** A delivery that could not be applied (the database away, say): the source delivers it again later. */
export class ConsumeError extends Error {}

/**
 * Every delivery, from JetStream or from the outbox, is one idempotent call: scope the consumer, key
 * the event id. The record drops copies that arrive while or after it ran; the inbox, written with
 * the effect, drops any that outlive the record. The caller acknowledges only after this resolves.
 */
export async function consume(calls: CallPipeline<Sql>, sql: Sql, consumer: Consumer, event: OutboxEvent): Promise<Consumed> {
  let fresh = false;
  const result = await calls.run({
    operation: CONSUME,
    via: "consumer",
    scope: () => `consumer:${consumer.name}`,
    key: () => event.id,
    input: () => event,
    waitMs: COPY_WAIT_MS,
    effect: async (tx) => {
      fresh = await receive(tx, consumer.name, event);
      if (fresh) {
        await consumer.apply(tx, event);
        await countApplied(tx, consumer.name, event.sequence);
      }
      return { status: 200, body: { consumer: consumer.name, event: event.id, applied: fresh }, headers: { "content-type": "application/json" } };
    },
  });
  if (!("response" in result)) throw new ConsumeError(`${consumer.name} could not apply ${event.id}: ${result.problem.code}: ${result.problem.detail}`);
  // Read only for an execution: its transaction committed, with the inbox row it wrote or found.
  const applied = result.outcome === "executed" && fresh;
  if (!applied) await countDuplicate(sql, consumer.name);
  return applied ? "applied" : "duplicate";
}
