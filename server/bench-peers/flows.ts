/**
 * The payment flows `npm run bench` compares Oncepay with, in the same server (bench only: served
 * when ONCEPAY_BENCH_PEERS=1, absent otherwise). Both do what a payment does locally and at the
 * provider (the `processing` payment, the charge through the app's provider client, the settlement
 * with its ledger entry and outbox event), with the domain's own functions, but without the engine:
 *
 * - unprotected: no key, no claim, no stored response; a retry charges again;
 * - naive: check-then-act as tutorials teach it: look the key up among the payments, charge when it
 *   is not there. Duplicates that arrive together all miss, and all charge.
 */
import { randomUUID } from "node:crypto";
import type { App } from "../app";
import { statement } from "../db/sql";
import { settle, startPayment } from "../payments/create-payment";
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from "../payments/queries";
import type { CreatePaymentInput, Payment } from "../payments/schema";

export interface PeerOutcome {
  payment: Payment;
  /** The naive flow found a payment under the key and answered with it. */
  replayed: boolean;
}

/** The local payment, the charge (a fresh provider key: nothing here remembers an earlier attempt), the settlement. */
async function charge(app: App, merchantId: string, input: CreatePaymentInput, idempotencyKey: string): Promise<Payment> {
  const { sql } = app.db;
  const origin = { idempotencyKey, idempotencyRecordId: randomUUID(), providerKey: `bench:${randomUUID()}` };
  const paymentId = await sql.transaction((tx) => startPayment(tx, merchantId, input, origin));
  const answer = await app.provider.charge({
    paymentId,
    amount: input.amount,
    currency: input.currency,
    customer: input.customer ?? null,
    idempotencyKey: origin.providerKey,
  });
  return sql.transaction(async (tx) => (await settle(tx, merchantId, paymentId, answer)).payment);
}

/** Every call pays. The payment's key column is required, so it gets one nobody sent. */
export async function unprotectedPayment(app: App, merchantId: string, input: CreatePaymentInput): Promise<PeerOutcome> {
  return { payment: await charge(app, merchantId, input, `unprotected:${randomUUID()}`), replayed: false };
}

const PAYMENT_BY_KEY = statement(
  "bench_naive_payment_by_key",
  `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = $1 AND idempotency_key = $2 ORDER BY created_at LIMIT 1`,
);

/** Check, then act: wrong on purpose (see the file's comment). */
export async function naivePayment(app: App, merchantId: string, key: string, input: CreatePaymentInput): Promise<PeerOutcome> {
  const [found] = await app.db.sql.rows<PaymentRow>(PAYMENT_BY_KEY, [merchantId, key]);
  if (found) return { payment: toPayment(found), replayed: true };
  return { payment: await charge(app, merchantId, input, key), replayed: false };
}
