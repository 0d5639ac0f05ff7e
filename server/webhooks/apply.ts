import { statement, type Sql } from "../db/sql";
import { settle } from "../payments/create-payment";
import { PaymentStatus } from "../payments/schema";
import { chargeSchema, disputeSchema, ProviderEventType, paymentIntentSchema, type ProviderEvent } from "./event";
import { AFTER_SETTLEMENT, applyAfterSettlement, PAYMENT_FOR_MOVEMENT, type Applied } from "./movements";

export type { Applied } from "./movements";

// By our id when the PaymentIntent carries it, else by the provider's: a webhook may arrive before our
// own commit has recorded the PaymentIntent's id.
const PAYMENT_FOR_INTENT = statement(
  "webhook_payment_for_intent",
  "SELECT id, merchant_id, status, amount, currency FROM payments WHERE id = $1 OR provider_payment_id = $2 ORDER BY (id = $1) DESC LIMIT 1",
);
const RECORD_EVENT = statement(
  "webhook_event_record",
  `INSERT INTO webhook_events (id, type, payment_id, applied, note, intent, awaiting, object) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
   ON CONFLICT (id) DO NOTHING`,
);

/** What became of an event, plus what to keep when it must wait for its payment. */
interface Outcome extends Applied {
  intent: string | null;
  /** Kept, with its object, until the payment settles (see awaiting.ts). */
  awaiting?: boolean;
}

/**
 * Applies one provider event inside the transaction that also claims its id (the idempotency
 * record), so it is applied at most once; every change is a conditional transition or an entry
 * unique by source, so events in any order reach the same state.
 */
export async function applyEvent(tx: Sql, event: ProviderEvent): Promise<Applied> {
  const outcome = await dispatch(tx, event);
  await tx.count(RECORD_EVENT, [
    event.id,
    event.type,
    outcome.paymentId,
    outcome.applied,
    outcome.note,
    outcome.intent,
    outcome.awaiting ?? false,
    outcome.awaiting ? JSON.stringify(event.data.object) : null,
  ]);
  return outcome;
}

async function dispatch(tx: Sql, event: ProviderEvent): Promise<Outcome> {
  const object = event.data.object;
  if (event.type === ProviderEventType.PaymentSucceeded || event.type === ProviderEventType.PaymentFailed) {
    const intent = paymentIntentSchema.parse(object);
    const [payment] = await tx.rows<{ id: string; merchant_id: string; status: string; amount: number; currency: string }>(PAYMENT_FOR_INTENT, [
      intent.metadata?.oncepay_payment ?? "",
      intent.id,
    ]);
    if (!payment) return { paymentId: null, applied: false, note: "unknown_payment_intent", intent: intent.id };
    // A PaymentIntent for another amount or currency is not this payment's charge, whatever its metadata says.
    if (intent.amount !== undefined && intent.amount !== payment.amount)
      return { paymentId: payment.id, applied: false, note: "amount_mismatch", intent: intent.id };
    if (intent.currency !== undefined && intent.currency !== payment.currency)
      return { paymentId: payment.id, applied: false, note: "currency_mismatch", intent: intent.id };
    const charge =
      event.type === ProviderEventType.PaymentSucceeded
        ? { status: "succeeded" as const, providerPaymentId: intent.id }
        : { status: "failed" as const, providerPaymentId: intent.id, code: intent.last_payment_error?.code ?? "card_declined" };
    const settled = await settle(tx, payment.merchant_id, payment.id, charge);
    // The state after the transition was tried: our own commit may have settled it meanwhile.
    return { paymentId: payment.id, applied: settled.changed, note: settled.changed ? null : `already_${settled.payment.status}`, intent: intent.id };
  }
  if (AFTER_SETTLEMENT.has(event.type)) return afterSettlement(tx, event);
  return { paymentId: null, applied: false, note: "ignored_type", intent: null };
}

/**
 * A refund total or a dispute: applied now if its payment has succeeded with this PaymentIntent,
 * kept for later if the payment is not settled here yet (or not known yet: the PaymentIntent's id
 * reaches us with our own commit), refused if the payment failed or was charged by another one.
 */
async function afterSettlement(tx: Sql, event: ProviderEvent): Promise<Outcome> {
  const object = event.type === ProviderEventType.ChargeRefunded ? chargeSchema.parse(event.data.object) : disputeSchema.parse(event.data.object);
  const intent = object.payment_intent;
  const named = "metadata" in object ? (object.metadata?.oncepay_payment ?? "") : "";
  const [payment] = await tx.rows<{ id: string; merchant_id: string; status: string; amount: number; currency: string; provider_payment_id: string | null }>(
    PAYMENT_FOR_MOVEMENT,
    [named, intent],
  );
  if (!payment || payment.status === PaymentStatus.Processing) {
    return { paymentId: payment?.id ?? null, applied: false, note: "awaiting_payment", intent, awaiting: true };
  }
  if (payment.status !== PaymentStatus.Succeeded) return { paymentId: payment.id, applied: false, note: "payment_not_succeeded", intent };
  if (payment.provider_payment_id !== intent) return { paymentId: payment.id, applied: false, note: "payment_intent_mismatch", intent };
  return { ...(await applyAfterSettlement(tx, event.type, object, payment, event.id)), intent };
}
