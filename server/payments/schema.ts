import { z } from "zod";
import { text } from "../text";

export const CURRENCIES = ["usd", "eur", "gbp", "jpy"] as const;
export const currencySchema = z.enum(CURRENCIES);
export type Currency = z.infer<typeof currencySchema>;

export const MAX_AMOUNT = 99_999_999;

/** null is accepted as "absent", so clients that send explicit nulls are not refused or fingerprinted apart. */
const optionalText = (max: number) =>
  text()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((v) => v ?? undefined);

/** The body of POST /api/v1/payments and the input of payment.create. Unknown fields are refused. */
export const createPaymentInput = z.strictObject({
  amount: z
    .number({ error: "must be an integer number of minor units" })
    .int("must be an integer number of minor units")
    .min(1, "must be at least 1")
    .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`),
  currency: currencySchema,
  description: optionalText(500),
  customer: optionalText(255),
});
export type CreatePaymentInput = z.infer<typeof createPaymentInput>;

export const PaymentStatus = { Processing: "processing", Succeeded: "succeeded", Failed: "failed" } as const;
export type PaymentStatus = (typeof PaymentStatus)[keyof typeof PaymentStatus];

/** The payment object as every client sees it; also validates stored replays on the way out. */
export const paymentSchema = z.object({
  id: z.string(),
  object: z.literal("payment"),
  amount: z.number().int(),
  currency: currencySchema,
  status: z.enum([PaymentStatus.Processing, PaymentStatus.Succeeded, PaymentStatus.Failed]),
  description: z.string().nullable(),
  customer: z.string().nullable(),
  idempotencyKey: z.string(),
  /** The provider's PaymentIntent (`pi_…`); null until the provider answered. */
  providerPaymentId: z.string().nullable(),
  /** The Idempotency-Key Oncepay sent the provider: derived from the claim, never the client's key. */
  providerIdempotencyKey: z.string().nullable(),
  amountRefunded: z.number().int(),
  createdAt: z.string(),
});
export type Payment = z.infer<typeof paymentSchema>;

export const listPaymentsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
