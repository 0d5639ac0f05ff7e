import { z } from "zod";
import { currencySchema } from "../payments/schema";
import { text } from "../text";

/** The money movements that emit an event, as `GET /api/v1/events` and every consumer name them. */
export const EventType = {
  PaymentSucceeded: "payment.succeeded",
  PaymentFailed: "payment.failed",
  RefundSucceeded: "refund.succeeded",
  DisputeCreated: "dispute.created",
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
export const eventTypeSchema = z.enum([EventType.PaymentSucceeded, EventType.PaymentFailed, EventType.RefundSucceeded, EventType.DisputeCreated]);

/**
 * What every event says about its payment, as it stood when the movement committed: enough for a
 * consumer to act on the event alone, without reading our tables (a receipt is a function of it).
 */
export const eventPaymentSchema = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: currencySchema,
  description: z.string().nullable(),
  customer: z.string().nullable(),
  providerPaymentId: z.string().nullable(),
  status: z.string(),
  failureCode: z.string().nullable(),
  createdAt: z.string(),
  /** The payment's succeeded refunds so far, oldest first. */
  refunds: z.array(z.object({ id: z.string(), amount: z.number().int(), createdAt: z.string() })),
});
export type EventPayment = z.infer<typeof eventPaymentSchema>;

export const eventDataSchema = z.object({
  payment: eventPaymentSchema,
  /** The movement's own amount, signed as the ledger has it (refunds and disputes negative, a failure 0). */
  amount: z.number().int(),
  /** The refund or dispute this event is about; absent for payment events. */
  refund: z.object({ id: z.string(), amount: z.number().int() }).optional(),
  dispute: z.object({ id: z.string(), amount: z.number().int() }).optional(),
});
export type EventData = z.infer<typeof eventDataSchema>;

/** One outbox event: as `GET /api/v1/events` shows it, as the relay publishes it, as consumers parse it. */
export const outboxEventSchema = z.object({
  id: z.string().startsWith("evt_"),
  sequence: z.number().int().positive(),
  merchant: z.string(),
  type: eventTypeSchema,
  createdAt: z.string(),
  data: eventDataSchema,
});
export type OutboxEvent = z.infer<typeof outboxEventSchema>;

export const listEventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  after: text().startsWith("evt_", "must be an event id (evt_…)").max(64).optional(),
});
