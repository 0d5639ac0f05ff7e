import { statement, type Sql } from "../db/sql";
import { emit } from "../events/outbox";
import { EventType as MovementType } from "../events/schema";
import { appendEntry, LedgerSource } from "../ledger/entries";
import { settle } from "../payments/create-payment";
import { learnRefundedTotal } from "../refunds/refund-payment";
import { chargeSchema, disputeSchema, EventType, paymentIntentSchema, type ProviderEvent } from "./event";

/** What an event did, as the dashboard shows it. */
export interface Applied {
  paymentId: string | null;
  applied: boolean;
  /** Why it changed nothing, when it did not. */
  note: string | null;
}

// By our id when the PaymentIntent carries it, else by the provider's: a webhook may arrive before our
// own commit has recorded the PaymentIntent's id.
const PAYMENT_FOR_INTENT = statement(
  "webhook_payment_for_intent",
  "SELECT id, merchant_id, status FROM payments WHERE id = $1 OR provider_payment_id = $2 ORDER BY (id = $1) DESC LIMIT 1",
);
const RECORD_EVENT = statement(
  "webhook_event_record",
  "INSERT INTO webhook_events (id, type, payment_id, applied, note) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
);

/**
 * Applies one provider event inside the transaction that also claims its id (the idempotency
 * record), so it is applied at most once; every change is a conditional transition or an entry
 * unique by source, so events in any order reach the same state.
 */
export async function applyEvent(tx: Sql, event: ProviderEvent): Promise<Applied> {
  const applied = await dispatch(tx, event);
  await tx.count(RECORD_EVENT, [event.id, event.type, applied.paymentId, applied.applied, applied.note]);
  return applied;
}

async function dispatch(tx: Sql, event: ProviderEvent): Promise<Applied> {
  const object = event.data.object;
  switch (event.type) {
    case EventType.PaymentSucceeded:
    case EventType.PaymentFailed: {
      const intent = paymentIntentSchema.parse(object);
      const [payment] = await tx.rows<{ id: string; merchant_id: string; status: string }>(PAYMENT_FOR_INTENT, [
        intent.metadata?.oncepay_payment ?? "",
        intent.id,
      ]);
      if (!payment) return { paymentId: null, applied: false, note: "unknown_payment_intent" };
      const charge =
        event.type === EventType.PaymentSucceeded
          ? { status: "succeeded" as const, providerPaymentId: intent.id }
          : { status: "failed" as const, providerPaymentId: intent.id, code: intent.last_payment_error?.code ?? "card_declined" };
      const settled = await settle(tx, payment.merchant_id, payment.id, charge);
      // The state after the transition was tried: our own commit may have settled it meanwhile.
      return { paymentId: payment.id, applied: settled.changed, note: settled.changed ? null : `already_${settled.payment.status}` };
    }
    case EventType.ChargeRefunded: {
      const charge = chargeSchema.parse(object);
      const { paymentId, learnt } = await learnRefundedTotal(tx, charge.payment_intent, charge.amount_refunded);
      if (!paymentId) return { paymentId: null, applied: false, note: "unknown_payment_intent" };
      return { paymentId, applied: learnt > 0, note: learnt > 0 ? null : "refund_already_counted" };
    }
    case EventType.DisputeCreated: {
      const dispute = disputeSchema.parse(object);
      const [payment] = await tx.rows<{ id: string; merchant_id: string }>(PAYMENT_FOR_INTENT, ["", dispute.payment_intent]);
      if (!payment) return { paymentId: null, applied: false, note: "unknown_payment_intent" };
      const [currency] = await tx.rows<{ currency: string }>(CURRENCY, [payment.id]);
      const disputeId = dispute.id ?? event.id;
      const debited = await appendEntry(tx, {
        merchantId: payment.merchant_id,
        currency: currency?.currency ?? "usd",
        amount: -dispute.amount,
        source: { type: LedgerSource.Dispute, id: disputeId },
      });
      if (debited) {
        const moved = { id: disputeId, amount: dispute.amount };
        await emit(tx, {
          type: MovementType.DisputeCreated,
          merchantId: payment.merchant_id,
          paymentId: payment.id,
          subjectId: disputeId,
          amount: -dispute.amount,
          dispute: moved,
        });
      }
      return { paymentId: payment.id, applied: debited, note: debited ? null : "dispute_already_debited" };
    }
    default:
      return { paymentId: null, applied: false, note: "ignored_type" };
  }
}

const CURRENCY = statement("webhook_payment_currency", "SELECT currency FROM payments WHERE id = $1");
