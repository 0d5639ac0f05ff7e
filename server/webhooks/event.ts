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
  /** Copied from the PaymentIntent: names our payment before we know the PaymentIntent's id. */
  metadata: z.record(z.string(), z.string()).optional(),
});

export const disputeSchema = z.object({
  /** The dispute's id, its ledger source; an event without one is its own source. */
  id: z.string().min(1).optional(),
  payment_intent: z.string().min(1),
  amount: z.number().int().min(1),
});

const OBJECT_SCHEMAS: Record<string, z.ZodType> = {
  [EventType.PaymentSucceeded]: paymentIntentSchema,
  [EventType.PaymentFailed]: paymentIntentSchema,
  [EventType.ChargeRefunded]: chargeSchema,
  [EventType.DisputeCreated]: disputeSchema,
};

/** Field errors of an event of a type we apply whose object lacks what applying needs; none for other types. */
export function eventObjectErrors(event: ProviderEvent): string[] {
  const result = OBJECT_SCHEMAS[event.type]?.safeParse(event.data.object);
  return result && !result.success ? result.error.issues.map((i) => `data.object.${i.path.join(".")}: ${i.message}`) : [];
}
