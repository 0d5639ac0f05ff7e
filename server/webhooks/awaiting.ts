import { statement, type Sql, type SqlPool } from "../db/sql";
import { applyAfterSettlement, type Applied, type SettledPayment } from "./movements";

/**
 * Refunds and disputes that arrived before their payment settled here: the provider's webhooks come
 * in any order, and one can overtake the commit that records which PaymentIntent charged the
 * payment. Such an event is kept (`awaiting`, with its object) and applied in the transaction that
 * settles the payment; a sweep (the reaper job) applies any that a settlement committing at the same
 * moment could not see. Nothing the provider said is lost to timing.
 */

interface AwaitingRow {
  id: string;
  type: string;
  object: unknown;
}

const AWAITING_FOR = statement("webhook_awaiting_for", "SELECT id, type, object FROM webhook_events WHERE awaiting AND intent = $1 ORDER BY received_at, id");
// Taken by whoever applies it first (the settlement or the sweep): the other finds it done.
const TAKE = statement("webhook_awaiting_take", "UPDATE webhook_events SET awaiting = false WHERE id = $1 AND awaiting RETURNING id");
const RECORD = statement("webhook_awaiting_record", "UPDATE webhook_events SET payment_id = $2, applied = $3, note = $4, object = NULL WHERE id = $1");

/** Applies, to the payment that has just succeeded with `intent`, every event that waited for it. Returns how many. */
export async function applyAwaiting(tx: Sql, intent: string, payment: SettledPayment): Promise<number> {
  let applied = 0;
  for (const row of await tx.rows<AwaitingRow>(AWAITING_FOR, [intent])) {
    if ((await tx.count(TAKE, [row.id])) === 0) continue;
    const result: Applied = await applyAfterSettlement(tx, row.type, row.object, payment, row.id);
    await tx.count(RECORD, [row.id, result.paymentId, result.applied, result.note]);
    if (result.applied) applied++;
  }
  return applied;
}

// Events still waiting whose PaymentIntent now belongs to a succeeded payment: missed by a
// settlement that committed while they were being recorded.
const READY = statement(
  "webhook_awaiting_ready",
  `SELECT DISTINCT w.intent FROM webhook_events w JOIN payments p ON p.provider_payment_id = w.intent
    WHERE w.awaiting AND p.status = 'succeeded' LIMIT $1::int`,
);
const LOCK_PAYMENT = statement(
  "webhook_awaiting_payment",
  "SELECT id, merchant_id, amount, currency FROM payments WHERE provider_payment_id = $1 AND status = 'succeeded' FOR UPDATE",
);

/** The sweep: applies what waited for payments that have settled since. One transaction per payment. */
export async function sweepAwaiting(sql: SqlPool, limit: number): Promise<number> {
  let applied = 0;
  for (const { intent } of await sql.rows<{ intent: string }>(READY, [limit])) {
    applied += await sql.transaction(async (tx) => {
      const [payment] = await tx.rows<SettledPayment>(LOCK_PAYMENT, [intent]);
      return payment ? applyAwaiting(tx, intent, payment) : 0;
    });
  }
  return applied;
}
