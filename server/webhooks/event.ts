import { z } from "zod";

/** The provider's event envelope (Stripe's shape); unknown fields are kept out, not refused. */
export const providerEventSchema = z.object({
  id: z.string().min(1).max(255),
  object: z.literal("event"),
  type: z.string().min(1).max(100),
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type ProviderEvent = z.infer<typeof providerEventSchema>;

export const EventType = {
  PaymentSucceeded: "payment_intent.succeeded",
  PaymentFailed: "payment_intent.payment_failed",
  ChargeRefunded: "charge.refunded",
  DisputeCreated: "charge.dispute.created",
} as const;

export const paymentIntentSchema = z.object({
  id: z.string().min(1),
  amount: z.number().int().optional(),
  currency: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  last_payment_error: z.object({ code: z.string().nullish() }).nullish(),
});

export const chargeSchema = z.object({
  payment_intent: z.string().min(1),
  /** The total refunded so far, not this refund's amount: a later event carries all earlier ones. */
  amount_refunded: z.number().int().min(0),
});

export const disputeSchema = z.object({
  id: z.string().min(1),
  payment_intent: z.string().min(1),
  amount: z.number().int().min(1),
});
