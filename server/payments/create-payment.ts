import type { Tx } from "../db/client";
import { newId } from "../ids";
import { toPayment } from "./queries";
import { PaymentStatus, type CreatePaymentInput, type Payment } from "./schema";

/** The test card that always declines, as in Stripe's test mode. */
export const DECLINED_CUSTOMER = "cus_declined";

export type CreatePaymentOutcome =
  | { kind: "succeeded"; payment: Payment }
  | { kind: "declined"; payment: Payment; code: "card_declined" };

export interface PaymentOrigin {
  idempotencyKey: string;
  /** The claim executing this payment; unique per payment, so one claim can never charge twice. */
  idempotencyRecordId: string;
}

/**
 * Charges the customer: records the payment and, if it succeeds, credits the merchant's balance.
 * Declines are recorded too (a failed payment). All writes go through `tx`, so they commit or
 * vanish together with whatever the caller records alongside.
 */
export async function createPayment(
  tx: Tx,
  merchantId: string,
  input: CreatePaymentInput,
  origin: PaymentOrigin,
): Promise<CreatePaymentOutcome> {
  const declined = input.customer === DECLINED_CUSTOMER;
  const row = await tx.payment.create({
    data: {
      id: newId("pay"),
      merchantId,
      amount: input.amount,
      currency: input.currency,
      status: declined ? PaymentStatus.Failed : PaymentStatus.Succeeded,
      description: input.description ?? null,
      customer: input.customer ?? null,
      failureCode: declined ? "card_declined" : null,
      idempotencyKey: origin.idempotencyKey,
      idempotencyRecordId: origin.idempotencyRecordId,
    },
  });
  const payment = toPayment(row);
  if (declined) return { kind: "declined", payment, code: "card_declined" };
  await tx.$executeRaw`
    INSERT INTO balances (merchant_id, currency, available, updated_at)
    VALUES (${merchantId}, ${input.currency}, ${input.amount}::bigint, now())
    ON CONFLICT (merchant_id, currency)
    DO UPDATE SET available = balances.available + EXCLUDED.available, updated_at = now()`;
  return { kind: "succeeded", payment };
}
