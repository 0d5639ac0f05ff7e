import { statement, type Sql } from "../db/sql";
import { newId } from "../ids";
import { appendEntry, LedgerSource } from "../ledger/entries";
import { emitMovement, EventType } from "../payments/events";
import { PaymentStatus } from "../payments/schema";
import { problemError } from "../problem";
import type { RefundAnswer } from "../provider/provider";
import { RefundOrigin, RefundStatus, type CreateRefundInput, type Refund } from "./schema";

interface PaymentRow {
  id: string;
  merchant_id: string;
  status: string;
  amount: number;
  amount_refunded: number;
  provider_refunded: number;
  currency: string;
  provider_payment_id: string | null;
}

const PAYMENT_COLUMNS = "id, merchant_id, status, amount, amount_refunded, provider_refunded, currency, provider_payment_id";

// The payment row is the lock that API refunds and the provider's charge.refunded take turns on:
// whoever holds it sees every refund counted so far, so together they never pass the amount paid.
const LOCK_OF_MERCHANT = statement("refund_lock_payment", `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2 FOR UPDATE`);
const COUNT_REFUNDED = statement("refund_count", `UPDATE payments SET amount_refunded = amount_refunded + $2::int WHERE id = $1 RETURNING ${PAYMENT_COLUMNS}`);
// Only a total within the amount paid is kept (a CHECK backs this up).
const LEARN_TOTAL = statement(
  "refund_learn_total",
  `UPDATE payments SET provider_refunded = GREATEST(provider_refunded, $2::int) WHERE id = $1 AND $2::int <= amount RETURNING ${PAYMENT_COLUMNS}`,
);
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
  if (!payment) throw problemError("not_found", `No payment with id "${input.payment}".`);
  if (payment.status !== PaymentStatus.Succeeded || !payment.provider_payment_id) {
    throw problemError("payment_not_refundable", `Payment ${payment.id} is ${payment.status}: only a succeeded payment can be refunded.`);
  }
  const remaining = payment.amount - payment.amount_refunded;
  const amount = input.amount ?? remaining;
  if (amount < 1 || amount > remaining) {
    throw problemError("refund_exceeds_payment", `Payment ${payment.id} has ${remaining} left to refund; ${amount} was asked.`, { remaining });
  }
  await tx.count(COUNT_REFUNDED, [payment.id, amount]);
  const refundId = newId("re");
  await tx.rows(INSERT_REFUND, [refundId, merchantId, payment.id, amount, RefundStatus.Pending, RefundOrigin.Api, recordId]);
  return { refundId, paymentIntent: payment.provider_payment_id, amount };
}

/**
 * Phase three: the provider's answer made local. A refusal gives the reserved amount back, and with
 * it any refund the provider reported that the reservation was standing in for (see `countUnexplained`).
 */
export async function settleRefund(tx: Sql, refundId: string, answer: RefundAnswer): Promise<Refund | { failed: string }> {
  if (answer.status === "failed") {
    const [refund] = await tx.rows<{ payment_id: string; amount: number }>(SETTLE_REFUND, [refundId, RefundStatus.Failed, null]);
    if (refund) {
      const [payment] = await tx.rows<PaymentRow>(COUNT_REFUNDED, [refund.payment_id, -refund.amount]);
      if (payment) await countUnexplained(tx, payment);
    }
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

/** Why a reported refund total was not applied, if it was not. */
export type RefundTotalRefusal = "refund_exceeds_payment";

/**
 * The provider's `charge.refunded` for a succeeded payment, whose row the caller has locked:
 * `total` is everything refunded there so far, whoever asked. It is kept (the highest seen, so an
 * older total arriving late changes nothing), and what it leaves unexplained becomes a refund of
 * origin `provider`. A total beyond the amount paid is refused, never counted.
 */
export async function learnRefundedTotal(tx: Sql, paymentId: string, total: number): Promise<{ learnt: number } | { refused: RefundTotalRefusal }> {
  const [payment] = await tx.rows<PaymentRow>(LEARN_TOTAL, [paymentId, total]);
  if (!payment) return { refused: "refund_exceeds_payment" };
  return { learnt: await countUnexplained(tx, payment) };
}

/**
 * What the provider refunded that nothing here accounts for: its reported total beyond the refunds
 * counted here, succeeded or still pending. A pending API refund may have been made at the provider
 * already, so it explains its part of the total until it settles; if the provider refuses it, its
 * reservation is given back and this runs again, and the refund it stood in for is counted then.
 * So a refund made at the provider while an API refund was in flight is never lost, and none is
 * counted twice: the refunds here end equal to the provider's, whatever raced.
 */
async function countUnexplained(tx: Sql, payment: PaymentRow): Promise<number> {
  const unexplained = payment.provider_refunded - payment.amount_refunded;
  if (unexplained <= 0 || payment.status !== PaymentStatus.Succeeded) return 0;
  await tx.count(COUNT_REFUNDED, [payment.id, unexplained]);
  const refundId = newId("re");
  await tx.rows(INSERT_REFUND, [refundId, payment.merchant_id, payment.id, unexplained, RefundStatus.Succeeded, RefundOrigin.Provider, null]);
  await appendEntry(tx, {
    merchantId: payment.merchant_id,
    currency: payment.currency,
    amount: -unexplained,
    source: { type: LedgerSource.Refund, id: refundId },
  });
  await emitRefund(tx, payment.merchant_id, payment.id, { id: refundId, amount: unexplained });
  return unexplained;
}

function emitRefund(tx: Sql, merchantId: string, paymentId: string, refund: { id: string; amount: number }) {
  return emitMovement(tx, { type: EventType.RefundSucceeded, merchantId, paymentId, subjectId: refund.id, amount: -refund.amount, refund });
}
