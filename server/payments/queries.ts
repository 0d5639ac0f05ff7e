import type { Payment as PaymentModel } from "../db/generated/client";
import { statement, type Sql } from "../db/sql";
import type { Balance, Currency, Payment, PaymentStatus } from "./schema";

/** What a payment object is made of, as `PAYMENT_COLUMNS` reads it (typed after Prisma's model). */
export type PaymentRow = Pick<PaymentModel, "id" | "amount" | "currency" | "status" | "description" | "customer" | "idempotencyKey" | "createdAt">;

/** `PaymentRow`'s columns for raw SQL, named as Prisma names them. */
export const PAYMENT_COLUMNS = `id, amount, currency, status, description, customer, idempotency_key AS "idempotencyKey", created_at AS "createdAt"`;

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
    createdAt: row.createdAt.toISOString(),
  };
}

// On `sql` rather than Prisma, like the rest of the request path: prepared once per connection,
// and a database outage surfaces as DatabaseUnavailableError, never as a Prisma error to decode.
const PAYMENT_BY_ID = statement("payment_by_id", `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 AND merchant_id = $2`);

const PAYMENTS_NEWEST_FIRST = statement(
  "payments_newest_first",
  `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2::int`,
);

const BALANCES = statement("balances_of_merchant", "SELECT currency, available FROM balances WHERE merchant_id = $1 ORDER BY currency");

/** The merchant's own payment; another merchant's is as absent as a missing one. */
export async function getPayment(db: Sql, merchantId: string, id: string): Promise<Payment | null> {
  const [row] = await db.rows<PaymentRow>(PAYMENT_BY_ID, [id, merchantId]);
  return row ? toPayment(row) : null;
}

export async function listPayments(db: Sql, merchantId: string, limit: number): Promise<Payment[]> {
  return (await db.rows<PaymentRow>(PAYMENTS_NEWEST_FIRST, [merchantId, limit])).map(toPayment);
}

export async function getBalance(db: Sql, merchantId: string): Promise<Balance> {
  // pg hands a bigint over as a string: it cannot know the value fits a double.
  const rows = await db.rows<{ currency: string; available: string }>(BALANCES, [merchantId]);
  return {
    // Balances are bounded by int amounts times payments: far below 2^53.
    available: rows.map((r) => ({ currency: r.currency as Currency, amount: Number(r.available) })),
  };
}
