import { statement, type Sql } from "../db/sql";
import { newId } from "../ids";
import { PAYMENT_COLUMNS, toPayment, type PaymentRow } from "./queries";
import { PaymentStatus, type CreatePaymentInput, type Payment } from "./schema";

/** The test card that always declines, as in Stripe's test mode. */
export const DECLINED_CUSTOMER = "cus_declined";

export type CreatePaymentOutcome = { kind: "succeeded"; payment: Payment } | { kind: "declined"; payment: Payment; code: "card_declined" };

export interface PaymentOrigin {
  idempotencyKey: string;
  /** The claim executing this payment; unique per payment, so one claim can never charge twice. */
  idempotencyRecordId: string;
}

// One round trip: the payment row, and for a success the balance credit, in one statement (a
// data-modifying CTE always runs, read or not).
const INSERT_PAYMENT = statement(
  "payment_insert",
  `WITH payment AS (
     INSERT INTO payments (id, merchant_id, amount, currency, status, description, customer, failure_code,
                           idempotency_key, idempotency_record_id)
     VALUES ($1, $2, $3::int, $4, $5, $6, $7, $8, $9, $10::uuid)
     RETURNING ${PAYMENT_COLUMNS}
   ), credit AS (
     INSERT INTO balances (merchant_id, currency, available, updated_at)
     SELECT $2, $4, $3::bigint, now() WHERE $5 = '${PaymentStatus.Succeeded}'
     ON CONFLICT (merchant_id, currency)
     DO UPDATE SET available = balances.available + EXCLUDED.available, updated_at = now()
   )
   SELECT * FROM payment`,
);

/**
 * Charges the customer: records the payment and, if it succeeds, credits the merchant's balance.
 * Declines are recorded too (a failed payment). All writes go through `tx`, so they commit or
 * vanish together with whatever the caller records alongside.
 */
/**
 * Charges the customer: records the payment and, if it succeeds, credits the merchant's balance.
 * Declines are recorded too (a failed payment). All writes go through `tx`, so they commit or
 * vanish together with whatever the caller records alongside.
 */
export async function createPayment(tx: Sql, merchantId: string, input: CreatePaymentInput, origin: PaymentOrigin): Promise<CreatePaymentOutcome> {
  const declined = input.customer === DECLINED_CUSTOMER;
  const [row] = await tx.rows<PaymentRow>(INSERT_PAYMENT, [
    newId("pay"),
    merchantId,
    input.amount,
    input.currency,
    declined ? PaymentStatus.Failed : PaymentStatus.Succeeded,
    input.description ?? null,
    input.customer ?? null,
    declined ? "card_declined" : null,
    origin.idempotencyKey,
    origin.idempotencyRecordId,
  ]);
  if (!row) throw new Error("INSERT … RETURNING returned no payment");
  const payment = toPayment(row);
  return declined ? { kind: "declined", payment, code: "card_declined" } : { kind: "succeeded", payment };
}
