import { statement, type Sql } from "../db/sql";
import { emit } from "../events/outbox";
import { EventType } from "../events/schema";
import { newId } from "../ids";
import { appendEntry, LedgerSource } from "../ledger/entries";
import { PaymentStatus } from "../payments/schema";
import { ProblemError } from "../problem";
import type { RefundAnswer } from "../provider/provider";
import { RefundOrigin, RefundStatus, type CreateRefundInput, type Refund } from "./schema";

interface PaymentRow {
  id: string;
  merchant_id: string;
  status: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  provider_payment_id: string | null;
}

const PAYMENT_COLUMNS = "id, merchant_id, status, amount, amount_refunded, currency, provider_payment_id";

// The payment row is the lock that API refunds and the provider's charge.refunded take turns on:
// whoever holds it sees every refund counted so far, so together they never pass the amount paid.
const LOCK_OF_MERCHANT = statement("refund_lock_payment", `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2 FOR UPDATE`);
const LOCK_BY_INTENT = statement("refund_lock_by_intent", `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider_payment_id = $1 FOR UPDATE`);
const COUNT_REFUNDED = statement("refund_count", "UPDATE payments SET amount_refunded = amount_refunded + $2::int WHERE id = $1");
const INSERT_REFUND = statement(
  "refund_insert",
  `INSERT INTO refunds (id, merchant_id, payment_id, amount, status, origin, idempotency_record_id)
   VALUES ($1, $2, $3, $4::int, $5, $6, $7::uuid) RETURNING created_at AS "createdAt"`,
);
const SETTLE_REFUND = statement(
  "refund_settle",
  `UPDATE refunds SET status = $2, provider_refund_id = $3 WHERE id = $1 AND status = '${RefundStatus.Pending}'
   RETURNING id, merchant_id, payment_id, amount, created_at AS "createdAt"`,
);
const REFUND = statement("refund_by_id", `SELECT id, payment_id, amount, status, created_at AS "createdAt" FROM refunds WHERE id = $1`);
const CURRENCY = statement("refund_currency", "SELECT currency FROM payments WHERE id = $1");

/** What phase one hands on: the refund reserved, and what to ask the provider. */
export interface ReservedRefund {
  refundId: string;
  paymentIntent: string;
  amount: number;
}

/**
 * Phase one of an API refund: under the payment's lock, check what remains, count the refund as
 * pending (so a concurrent refund or webhook sees it), and record it. Refusals are 4xx problems.
 */
export async function reserveRefund(tx: Sql, merchantId: string, input: CreateRefundInput, recordId: string): Promise<ReservedRefund> {
  const [payment] = await tx.rows<PaymentRow>(LOCK_OF_MERCHANT, [input.payment, merchantId]);
  if (!payment) throw ProblemError.of("not_found", `No payment with id "${input.payment}".`);
  if (payment.status !== PaymentStatus.Succeeded || !payment.provider_payment_id) {
    throw ProblemError.of("payment_not_refundable", `Payment ${payment.id} is ${payment.status}: only a succeeded payment can be refunded.`);
  }
  const remaining = payment.amount - payment.amount_refunded;
  const amount = input.amount ?? remaining;
  if (amount < 1 || amount > remaining) {
    throw ProblemError.of("refund_exceeds_payment", `Payment ${payment.id} has ${remaining} left to refund; ${amount} was asked.`, { remaining });
  }
  await tx.count(COUNT_REFUNDED, [payment.id, amount]);
  const refundId = newId("re");
  await tx.rows(INSERT_REFUND, [refundId, merchantId, payment.id, amount, RefundStatus.Pending, RefundOrigin.Api, recordId]);
  return { refundId, paymentIntent: payment.provider_payment_id, amount };
}

/** Phase three: the provider's answer made local. A refusal gives the reserved amount back. */
export async function settleRefund(tx: Sql, refundId: string, answer: RefundAnswer): Promise<Refund | { failed: string }> {
  if (answer.status === "failed") {
    const [refund] = await tx.rows<{ payment_id: string; amount: number }>(SETTLE_REFUND, [refundId, RefundStatus.Failed, null]);
    if (refund) await tx.count(COUNT_REFUNDED, [refund.payment_id, -refund.amount]);
    return { failed: answer.code };
  }
  const [settled] = await tx.rows<{ id: string; merchant_id: string; payment_id: string; amount: number }>(SETTLE_REFUND, [
    refundId,
    RefundStatus.Succeeded,
    answer.providerRefundId,
  ]);
  if (settled) {
    const [payment] = await tx.rows<{ currency: string }>(CURRENCY, [settled.payment_id]);
    await appendEntry(tx, {
      merchantId: settled.merchant_id,
      currency: payment?.currency ?? "usd",
      amount: -settled.amount,
      source: { type: LedgerSource.Refund, id: settled.id },
    });
    await emitRefund(tx, settled.merchant_id, settled.payment_id, { id: settled.id, amount: settled.amount });
  }
  const [row] = await tx.rows<{ id: string; payment_id: string; amount: number; createdAt: Date }>(REFUND, [refundId]);
  if (!row) throw new Error(`refund ${refundId} vanished`);
  return { id: row.id, object: "refund", payment: row.payment_id, amount: row.amount, status: RefundStatus.Succeeded, createdAt: row.createdAt.toISOString() };
}

/**
 * The provider's `charge.refunded`: `total` is everything refunded so far. Under the payment's lock,
 * the part not yet counted (refunds made at the provider directly) becomes a refund of its own with
 * its ledger entry; an older total, or one our own refunds already account for, changes nothing. So
 * order and repetition do not matter, and nothing is counted twice.
 */
export async function learnRefundedTotal(tx: Sql, paymentIntent: string, total: number): Promise<{ paymentId: string | null; learnt: number }> {
  const [payment] = await tx.rows<PaymentRow>(LOCK_BY_INTENT, [paymentIntent]);
  if (!payment) return { paymentId: null, learnt: 0 };
  const learnt = Math.min(total, payment.amount) - payment.amount_refunded;
  if (learnt <= 0 || payment.status !== PaymentStatus.Succeeded) return { paymentId: payment.id, learnt: 0 };
  await tx.count(COUNT_REFUNDED, [payment.id, learnt]);
  const refundId = newId("re");
  await tx.rows(INSERT_REFUND, [refundId, payment.merchant_id, payment.id, learnt, RefundStatus.Succeeded, RefundOrigin.Provider, null]);
  await appendEntry(tx, { merchantId: payment.merchant_id, currency: payment.currency, amount: -learnt, source: { type: LedgerSource.Refund, id: refundId } });
  await emitRefund(tx, payment.merchant_id, payment.id, { id: refundId, amount: learnt });
  return { paymentId: payment.id, learnt };
}

function emitRefund(tx: Sql, merchantId: string, paymentId: string, refund: { id: string; amount: number }) {
  return emit(tx, { type: EventType.RefundSucceeded, merchantId, paymentId, subjectId: refund.id, amount: -refund.amount, refund });
}
