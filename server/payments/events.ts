import { z } from "zod";
import { statement, type Sql } from "../db/sql";
import { emit } from "../events/outbox";
import { outboxEventSchema, type NewEvent, type OutboxEvent } from "../events/schema";
import { RefundStatus } from "../refunds/schema";
import { currencySchema } from "./schema";

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

/** An outbox event of ours, its payload read: as `GET /api/v1/events` shows it, as consumers act on it. */
export const paymentEventSchema = outboxEventSchema.extend({ type: eventTypeSchema, data: eventDataSchema });
export type PaymentEvent = z.infer<typeof paymentEventSchema>;

/** The event's payload, checked: the outbox carries it as its producer wrote it. */
export function paymentEvent(event: OutboxEvent): PaymentEvent {
  return paymentEventSchema.parse(event);
}

/** One committed money movement, as the domain reports it. */
export interface Movement {
  type: EventType;
  merchantId: string;
  paymentId: string;
  /** The payment, refund or dispute that moved: the event is unique by (type, subject). */
  subjectId: string;
  /** Signed as the ledger has it. */
  amount: number;
  refund?: { id: string; amount: number };
  dispute?: { id: string; amount: number };
}

// FOR UPDATE: two refunds settling at once take turns here, so each event's refund list includes
// every refund committed before it, and the receipt versions they make never disagree.
const PAYMENT_SNAPSHOT = statement(
  "outbox_payment_snapshot",
  `SELECT id, amount, currency, description, customer, provider_payment_id AS "providerPaymentId", status,
          failure_code AS "failureCode", created_at AS "createdAt"
     FROM payments WHERE id = $1 FOR UPDATE`,
);
const PAYMENT_REFUNDS = statement(
  "outbox_payment_refunds",
  `SELECT id, amount, created_at AS "createdAt" FROM refunds WHERE payment_id = $1 AND status = '${RefundStatus.Succeeded}' ORDER BY created_at, id`,
);

/** The movement's event, its payment as the transaction `tx` sees it: what to hand `emit`. */
export async function movementEvent(tx: Sql, movement: Movement): Promise<NewEvent<EventType, EventData>> {
  const [payment] = await tx.rows<Omit<EventPayment, "createdAt" | "refunds"> & { createdAt: Date }>(PAYMENT_SNAPSHOT, [movement.paymentId]);
  if (!payment) throw new Error(`payment ${movement.paymentId} vanished while emitting ${movement.type}`);
  const refunds = await tx.rows<{ id: string; amount: number; createdAt: Date }>(PAYMENT_REFUNDS, [movement.paymentId]);
  const data: EventData = {
    payment: {
      ...payment,
      createdAt: payment.createdAt.toISOString(),
      refunds: refunds.map((r) => ({ id: r.id, amount: r.amount, createdAt: r.createdAt.toISOString() })),
    },
    amount: movement.amount,
    ...(movement.refund ? { refund: movement.refund } : {}),
    ...(movement.dispute ? { dispute: movement.dispute } : {}),
  };
  return { type: movement.type, merchantId: movement.merchantId, subjectId: movement.subjectId, data };
}

/** Writes the movement's event in `tx` (see `emit`); false when it was already written. */
export async function emitMovement(tx: Sql, movement: Movement): Promise<boolean> {
  return emit(tx, await movementEvent(tx, movement));
}
