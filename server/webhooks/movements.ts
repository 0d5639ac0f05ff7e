import { statement, type Sql } from "../db/sql";
import { emitMovement, EventType } from "../payments/events";
import { appendEntry, LedgerSource } from "../ledger/entries";
import { learnRefundedTotal } from "../refunds/refund-payment";
import { chargeSchema, disputeSchema, ProviderEventType } from "./event";

/**
 * The notes of events refused by the checks against the payment: what they claimed does not fit it
 * (another amount or currency, more refunded or disputed than was paid, a payment that failed or
 * was charged by another PaymentIntent). Recorded, never applied; the dashboard counts them.
 */
export const REFUSALS = [
  "amount_mismatch",
  "currency_mismatch",
  "refund_exceeds_payment",
  "dispute_exceeds_payment",
  "payment_intent_mismatch",
  "payment_not_succeeded",
] as const;

/** What applying an event did, as `webhook_events` keeps it and the dashboard counts it. */
export interface Applied {
  paymentId: string | null;
  applied: boolean;
  /** Why it changed nothing, when it did not. */
  note: string | null;
}

/** The events about money that moves after a charge succeeded: they need their payment settled first. */
export const AFTER_SETTLEMENT: ReadonlySet<string> = new Set([ProviderEventType.ChargeRefunded, ProviderEventType.DisputeCreated]);

export interface SettledPayment {
  id: string;
  merchant_id: string;
  amount: number;
  currency: string;
}

/**
 * A refund total or a dispute, applied to the succeeded payment it is about (whose row the caller
 * holds locked). Every change is a transition or an entry unique by its source, so applying the
 * same event again, or events in any order, changes nothing more. What an event claims is checked
 * against the payment: beyond the amount paid, it is recorded with the reason and not applied.
 */
export async function applyAfterSettlement(tx: Sql, type: string, object: unknown, payment: SettledPayment, eventId: string): Promise<Applied> {
  if (type === ProviderEventType.ChargeRefunded) {
    const charge = chargeSchema.parse(object);
    const result = await learnRefundedTotal(tx, payment.id, charge.amount_refunded);
    if ("refused" in result) return { paymentId: payment.id, applied: false, note: result.refused };
    return { paymentId: payment.id, applied: result.learnt > 0, note: result.learnt > 0 ? null : "refund_already_counted" };
  }
  const dispute = disputeSchema.parse(object);
  if (dispute.amount > payment.amount) return { paymentId: payment.id, applied: false, note: "dispute_exceeds_payment" };
  const disputeId = dispute.id ?? eventId;
  const debited = await appendEntry(tx, {
    merchantId: payment.merchant_id,
    currency: payment.currency,
    amount: -dispute.amount,
    source: { type: LedgerSource.Dispute, id: disputeId },
  });
  if (debited) {
    await emitMovement(tx, {
      type: EventType.DisputeCreated,
      merchantId: payment.merchant_id,
      paymentId: payment.id,
      subjectId: disputeId,
      amount: -dispute.amount,
      dispute: { id: disputeId, amount: dispute.amount },
    });
  }
  return { paymentId: payment.id, applied: debited, note: debited ? null : "dispute_already_debited" };
}

export const PAYMENT_FOR_MOVEMENT = statement(
  "webhook_payment_for_movement",
  // By the PaymentIntent once our commit recorded it; before that, by our id in its metadata.
  `SELECT id, merchant_id, status, amount, currency, provider_payment_id FROM payments
    WHERE provider_payment_id = $2 OR id = $1
    ORDER BY (provider_payment_id = $2) DESC NULLS LAST LIMIT 1 FOR UPDATE`,
);
