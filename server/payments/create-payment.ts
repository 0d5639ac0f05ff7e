import { statement, type Sql } from "../db/sql";
import { newId } from "../ids";
import { appendEntry, LedgerSource } from "../ledger/entries";
import type { ChargeAnswer } from "../provider/provider";
import { applyAwaiting } from "../webhooks/awaiting";
import { emitMovement, EventType } from "./events";
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from "./queries";
import { PaymentStatus, type CreatePaymentInput, type Payment } from "./schema";

export interface PaymentOrigin {
  idempotencyKey: string;
  /** The claim executing this payment; unique per payment, so one claim can never make two. */
  idempotencyRecordId: string;
  /** The key the provider is charged with, derived from the claim. */
  providerKey: string;
}

const INSERT_PROCESSING = statement(
  "payment_insert_processing",
  `INSERT INTO payments (id, merchant_id, amount, currency, status, description, customer, idempotency_key, idempotency_record_id, provider_key)
   VALUES ($1, $2, $3::int, $4, '${PaymentStatus.Processing}', $5, $6, $7, $8::uuid, $9)`,
);

// Conditional: only a payment still processing is settled, so settling twice changes nothing.
const SETTLE = statement(
  "payment_settle",
  `UPDATE payments SET status = $3, provider_payment_id = $4, failure_code = $5
    WHERE id = $1 AND merchant_id = $2 AND status = '${PaymentStatus.Processing}'
   RETURNING ${PAYMENT_COLUMNS}`,
);

const PAYMENT = statement("payment_of_merchant", `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2`);

/** Phase one: the local payment, `processing`, before any money moves. Returns its id. */
export async function startPayment(tx: Sql, merchantId: string, input: CreatePaymentInput, origin: PaymentOrigin): Promise<string> {
  const id = newId("pay");
  await tx.count(INSERT_PROCESSING, [
    id,
    merchantId,
    input.amount,
    input.currency,
    input.description ?? null,
    input.customer ?? null,
    origin.idempotencyKey,
    origin.idempotencyRecordId,
    origin.providerKey,
  ]);
  return id;
}

/**
 * Phase three, the provider's answer made local: the payment becomes `succeeded` (with its ledger
 * entry) or `failed`, in the caller's transaction (which also stores the response). The one
 * transition out of `processing`, whoever learns the outcome first: our own final commit or the
 * provider's webhook. The second finds nothing processing and changes nothing (`changed: false`);
 * the ledger entry is unique by payment, so it is written once either way.
 */
export async function settle(tx: Sql, merchantId: string, paymentId: string, charge: ChargeAnswer): Promise<{ payment: Payment; changed: boolean }> {
  const succeeded = charge.status === "succeeded";
  const [row] = await tx.rows<PaymentRow>(SETTLE, [
    paymentId,
    merchantId,
    succeeded ? PaymentStatus.Succeeded : PaymentStatus.Failed,
    charge.providerPaymentId,
    succeeded ? null : charge.code,
  ]);
  let payment = row ?? (await tx.rows<PaymentRow>(PAYMENT, [paymentId, merchantId]))[0];
  if (!payment) throw new Error(`payment ${paymentId} vanished while being charged`);
  if (payment.status === PaymentStatus.Succeeded) {
    await appendEntry(tx, { merchantId, currency: payment.currency, amount: payment.amount, source: { type: LedgerSource.Payment, id: payment.id } });
  }
  if (row) {
    // The transition's own event, in its transaction: whoever settles first emits it.
    const type = succeeded ? EventType.PaymentSucceeded : EventType.PaymentFailed;
    await emitMovement(tx, { type, merchantId, paymentId, subjectId: paymentId, amount: succeeded ? payment.amount : 0 });
    // Refunds and disputes the provider reported before this commit: applied with it (and the
    // payment answered as they left it).
    const settled = { id: paymentId, merchant_id: merchantId, amount: payment.amount, currency: payment.currency };
    if (succeeded && (await applyAwaiting(tx, charge.providerPaymentId, settled)) > 0)
      payment = (await tx.rows<PaymentRow>(PAYMENT, [paymentId, merchantId]))[0] ?? payment;
  }
  return { payment: toPayment(payment), changed: row !== undefined };
}
