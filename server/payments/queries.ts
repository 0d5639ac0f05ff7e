import type { PrismaClient } from "../db/client";
import type { Payment as PaymentModel } from "../db/generated/client";
import type { Balance, Currency, Payment, PaymentStatus } from "./schema";

/** What a payment object is made of, whether read by Prisma or by SQL (`PAYMENT_COLUMNS`). */
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

/** The merchant's own payment; another merchant's is as absent as a missing one. */
export async function getPayment(prisma: PrismaClient, merchantId: string, id: string): Promise<Payment | null> {
  const row = await prisma.payment.findFirst({ where: { id, merchantId } });
  return row ? toPayment(row) : null;
}

export async function listPayments(prisma: PrismaClient, merchantId: string, limit: number): Promise<Payment[]> {
  const rows = await prisma.payment.findMany({
    where: { merchantId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
  });
  return rows.map(toPayment);
}

export async function getBalance(prisma: PrismaClient, merchantId: string): Promise<Balance> {
  const rows = await prisma.balance.findMany({ where: { merchantId }, orderBy: { currency: "asc" } });
  return {
    // Balances are bounded by int amounts times payments: far below 2^53.
    available: rows.map((r) => ({ currency: r.currency as Currency, amount: Number(r.available) })),
  };
}
