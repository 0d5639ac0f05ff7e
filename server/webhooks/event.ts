import { z } from "zod";
import { text } from "../text";

const EVENT_ID = /^evt_[\x21-\x7e]{1,251}$/;
const EVENT_TYPE = /^[A-Za-z0-9._]{1,100}$/;
/** An id of the provider's that we store (a PaymentIntent, a dispute): bounded, single-line. */
const providerId = () => text().min(1).max(255);

/** The provider's event envelope (Stripe's shape); unknown fields are kept out, not refused. */
export const providerEventSchema = z.object({
  // Becomes the Idempotency-Key response header and a primary key: checked before anything is claimed.
  id: z.string().regex(EVENT_ID, "must be an event id: evt_ then up to 251 visible ASCII characters"),
  object: z.literal("event"),
  type: z.string().regex(EVENT_TYPE, "must be an event type: up to 100 letters, digits, dots and underscores"),
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type ProviderEvent = z.infer<typeof providerEventSchema>;

/** The provider's event types we apply (Stripe's names), not our own outbox events' (payments/events.ts). */
export const ProviderEventType = {
  PaymentSucceeded: "payment_intent.succeeded",
  PaymentFailed: "payment_intent.payment_failed",
  ChargeRefunded: "charge.refunded",
  DisputeCreated: "charge.dispute.created",
} as const;

export const paymentIntentSchema = z.object({
  id: providerId(),
  amount: z.number().int().optional(),
  currency: text().max(16).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  last_payment_error: z.object({ code: text().max(255).nullish() }).nullish(),
});

/** Stripe's charge object, as `charge.refunded` carries it; our own charge request's outcome is `ChargeAnswer` (provider/provider.ts). */
export const chargeSchema = z.object({
  payment_intent: providerId(),
  /** The total refunded so far, not this refund's amount: a later event carries all earlier ones. */
  amount_refunded: z.number().int().min(0),
  /** Copied from the PaymentIntent: names our payment before we know the PaymentIntent's id. */
  metadata: z.record(z.string(), z.string()).optional(),
});

export const disputeSchema = z.object({
  /** The dispute's id, its ledger source; an event without one is its own source. */
  id: providerId().optional(),
  payment_intent: providerId(),
  amount: z.number().int().min(1),
});

const OBJECT_SCHEMAS: Record<string, z.ZodType> = {
  [ProviderEventType.PaymentSucceeded]: paymentIntentSchema,
  [ProviderEventType.PaymentFailed]: paymentIntentSchema,
  [ProviderEventType.ChargeRefunded]: chargeSchema,
  [ProviderEventType.DisputeCreated]: disputeSchema,
};

/** Field errors of an event of a type we apply whose object lacks what applying needs; none for other types. */
export function eventObjectErrors(event: ProviderEvent): string[] {
  const result = OBJECT_SCHEMAS[event.type]?.safeParse(event.data.object);
  return result && !result.success ? result.error.issues.map((i) => `data.object.${i.path.join(".")}: ${i.message}`) : [];
}
