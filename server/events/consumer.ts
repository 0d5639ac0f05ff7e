import type { BatchOutcome, CallPipeline } from "@oncepay/idempotency";
import { isDatabaseUnavailable } from "../db/errors";
import type { Sql } from "../db/sql";
import type { SqlTransactor } from "@oncepay/idempotency/postgres";
import { countBatch, receive } from "./inbox";
import type { OutboxEvent } from "./schema";

/** A downstream consumer: what it does with one event, inside the transaction that also fills its inbox. */
export interface Consumer {
  /** Also its JetStream durable name and its inbox's name. */
  name: string;
  /** May share its transaction with other events' applies (a batch): no savepoints, no commits of its own. */
  apply(tx: Sql, event: OutboxEvent): Promise<void>;
  /** Optional: a batch's fresh events (distinct, in sequence order) at once, as `apply` on each in turn would, in fewer statements. */
  applyAll?(tx: Sql, events: readonly OutboxEvent[]): Promise<void>;
}

export const CONSUME = "event.consume";

/** What became of one delivery: applied now, or a copy dropped by the inbox or the safe point. */
export type Consumed = "applied" | "duplicate";

/** A delivery that could not be applied (the database away, say): the source delivers it again later. */
export class ConsumeError extends Error {}

/**
 * Deliveries, from JetStream or from the outbox, applied in one transaction: the inbox takes the
 * events it lacks (the rest are copies, dropped), only those are applied, the counters move once,
 * and it all commits together. No idempotency record is claimed: the inbox, written with the
 * effects, is what decides, and a copy applied concurrently elsewhere waits for that transaction
 * and is then dropped. Each delivery is still one call through the pipeline, observed once. Returns
 * each delivery's fate, in order; throws ConsumeError when nothing committed. The caller
 * acknowledges only after this resolves.
 */
export async function consumeBatch(
  calls: CallPipeline<Sql>,
  sql: SqlTransactor<Sql>,
  consumer: Consumer,
  events: readonly OutboxEvent[],
  options: { split?: boolean } = {},
): Promise<Consumed[]> {
  const result = await calls.runBatch(
    {
      operation: CONSUME,
      via: "consumer",
      items: events.map((event) => ({ scope: `consumer:${consumer.name}`, key: event.id })),
      transaction: (fn) => sql.transaction(fn),
      effect: (tx) => applyBatch(tx, consumer, events),
    },
    // A batch about to be run again in pieces is observed in them; an outage would only fail them all.
    { observeFailure: (error) => !options.split || isDatabaseUnavailable(error) },
  );
  if ("outcomes" in result) return result.outcomes.map((o) => (o === "executed" ? "applied" : "duplicate"));
  const what = events.length === 1 ? events[0]!.id : `${events.length} events`;
  throw new ConsumeError(`${consumer.name} could not apply ${what}: ${result.problem.code}: ${result.problem.detail}`, { cause: result.error });
}

/**
 * The batch, and should it fail other than by an outage (one event whose apply throws, a deadlock),
 * each event alone: one bad event then fails by itself, and the others are applied. Returns each
 * delivery's fate or its error, in order.
 */
export async function consumeAll(
  calls: CallPipeline<Sql>,
  sql: SqlTransactor<Sql>,
  consumer: Consumer,
  events: readonly OutboxEvent[],
): Promise<(Consumed | ConsumeError)[]> {
  if (events.length === 0) return [];
  try {
    return await consumeBatch(calls, sql, consumer, events, { split: events.length > 1 });
  } catch (error) {
    if (events.length === 1 || !(error instanceof ConsumeError) || isDatabaseUnavailable(error.cause)) return events.map(() => asConsumeError(error));
  }
  const each: (Consumed | ConsumeError)[] = [];
  for (const event of events) each.push(await consumeBatch(calls, sql, consumer, [event]).then(([fate]) => fate!, asConsumeError));
  return each;
}

async function applyBatch(tx: Sql, consumer: Consumer, events: readonly OutboxEvent[]): Promise<BatchOutcome[]> {
  // One delivery per id goes to the inbox; a second in the same batch is a copy.
  const first = new Map<string, number>();
  events.forEach((event, i) => first.has(event.id) || first.set(event.id, i));
  const distinct = [...first.values()].map((i) => events[i]!);
  const fresh = await receive(tx, consumer.name, distinct);
  // In sequence order, as the inbox took them: two batches touching the same rows lock them in one order.
  const toApply = distinct.filter((event) => fresh.has(event.id)).sort((a, b) => a.sequence - b.sequence);
  if (consumer.applyAll) await consumer.applyAll(tx, toApply);
  else for (const event of toApply) await consumer.apply(tx, event);
  await countBatch(tx, consumer.name, {
    applied: toApply.length,
    duplicates: events.length - toApply.length,
    watermark: toApply.at(-1)?.sequence ?? 0,
  });
  return events.map((event, i) => (first.get(event.id) === i && fresh.has(event.id) ? "executed" : "replayed"));
}

function asConsumeError(error: unknown): ConsumeError {
  return error instanceof ConsumeError ? error : new ConsumeError(String(error), { cause: error });
}
