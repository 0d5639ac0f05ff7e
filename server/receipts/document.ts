import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { OutboxEvent } from "../events/schema";
import { EventType, paymentEvent } from "../payments/events";

/** A receipt as stored and served: a function of the event alone, so every copy of an event makes the same bytes. */
export interface ReceiptDocument {
  object: "receipt";
  /** 1 at the payment's success, one more per refund. */
  version: number;
  merchant: string;
  payment: {
    id: string;
    amount: number;
    currency: string;
    description: string | null;
    customer: string | null;
    providerPaymentId: string | null;
    createdAt: string;
  };
  refunds: { id: string; amount: number; createdAt: string }[];
  amountRefunded: number;
  /** What the customer paid and kept paid: amount minus refunds. */
  net: number;
}

/** The receipt an event makes, or null for events that make none (failures, disputes). */
export function receiptOf(stored: OutboxEvent): ReceiptDocument | null {
  const event = paymentEvent(stored);
  if (event.type !== EventType.PaymentSucceeded && event.type !== EventType.RefundSucceeded) return null;
  const { refunds, ...payment } = event.data.payment;
  const amountRefunded = refunds.reduce((sum, r) => sum + r.amount, 0);
  return {
    object: "receipt",
    version: refunds.length + 1,
    merchant: event.merchant,
    payment: {
      id: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      description: payment.description,
      customer: payment.customer,
      providerPaymentId: payment.providerPaymentId,
      createdAt: payment.createdAt,
    },
    refunds,
    amountRefunded,
    net: payment.amount - amountRefunded,
  };
}

/** RFC 8785 canonical JSON: the same document is the same bytes, whatever built it. */
export function canonicalBytes(document: ReceiptDocument): string {
  const text = canonicalize(document);
  if (text === undefined) throw new Error("receipt cannot be canonicalized");
  return text;
}

/** The document's address: the SHA-256 of its canonical bytes, in hex. */
export function addressOf(bytes: string): string {
  return createHash("sha256").update(bytes, "utf8").digest("hex");
}
