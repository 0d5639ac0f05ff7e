import type { OutboxEvent } from "@/server/events/schema";
import { EventType } from "@/server/payments/events";

/** A valid event of the outbox (a failed payment's), numbered `n`, for tests that feed consumers directly. */
export function testEvent(n: number): OutboxEvent {
  return {
    id: `evt_test${n}`,
    sequence: n,
    merchant: "alice",
    type: EventType.PaymentFailed,
    createdAt: new Date().toISOString(),
    data: {
      amount: 0,
      payment: {
        id: `pay_${n}`,
        amount: 100,
        currency: "usd",
        description: null,
        customer: null,
        providerPaymentId: null,
        status: "failed",
        failureCode: null,
        createdAt: new Date().toISOString(),
        refunds: [],
      },
    },
  };
}
