import { statement, type Sql } from "../db/sql";
import type { Currency, Payment, PaymentStatus } from "./schema";

/** What a payment object is made of, as `PAYMENT_COLUMNS` reads it (the `payments` table of prisma/schema.prisma). */
export interface PaymentRow {
  id: string;
  amount: number;
  currency: string;
  status: string;
  description: string | null;
  customer: string | null;
  idempotencyKey: string;
  providerPaymentId: string | null;
  providerKey: string | null;
  amountRefunded: number;
  createdAt: Date;
}

/** `PaymentRow`'s columns, named as the schema's model names them. */
export const PAYMENT_COLUMNS = `id, amount, currency, status, description, customer, idempotency_key AS "idempotencyKey",
  provider_payment_id AS "providerPaymentId", provider_key AS "providerKey", amount_refunded AS "amountRefunded", created_at AS "createdAt"`;

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    object: "payment",
    amount: row.amount,
    currency: row.currency as Currency,
    status: row.status as PaymentStatus,
    description: row.description,
    customer: row.customer,
    idempotencyKey: row.idempotencyKey,
    providerPaymentId: row.providerPaymentId,
    providerIdempotencyKey: row.providerKey,
    amountRefunded: row.amountRefunded,
    createdAt: row.createdAt.toISOString(),
  };
}

const PAYMENT_BY_ID = statement("payment_by_id", `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2`);

const PAYMENTS_NEWEST_FIRST = statement(
  "payments_newest_first",
  `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2::int`,
);

/** The merchant's own payment; another merchant's is as absent as a missing one. */
export async function getPayment(db: Sql, merchantId: string, id: string): Promise<Payment | null> {
  const [row] = await db.rows<PaymentRow>(PAYMENT_BY_ID, [id, merchantId]);
  return row ? toPayment(row) : null;
}

export async function listPayments(db: Sql, merchantId: string, limit: number): Promise<Payment[]> {
  return (await db.rows<PaymentRow>(PAYMENTS_NEWEST_FIRST, [merchantId, limit])).map(toPayment);
}
