import { z } from "zod";
import { text } from "../text";

/**
 * One outbox event: as the outbox holds it, as the relay publishes it, as consumers receive it. The
 * envelope is the event path's; what `type` and `data` say is their producer's (see
 * payments/events.ts), which checks them where it acts on them.
 */
export const outboxEventSchema = z.object({
  id: z.string().startsWith("evt_"),
  sequence: z.number().int().positive(),
  merchant: z.string(),
  type: z.string(),
  createdAt: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type OutboxEvent = z.infer<typeof outboxEventSchema>;

/** An event as its producer hands it to `emit`: its type, its subject and its payload, built by the producer. */
export interface NewEvent<Type extends string = string, Data extends object = Record<string, unknown>> {
  type: Type;
  merchantId: string;
  /** What moved (a payment, a refund, a dispute): the event is unique by (type, subject). */
  subjectId: string;
  data: Data;
}

export const listEventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  after: text().startsWith("evt_", "must be an event id (evt_…)").max(64).optional(),
});
