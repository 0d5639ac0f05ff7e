import { z } from "zod";

/** A charge request, as Oncepay makes it: one per payment, sent with a key Oncepay derived. */
export interface ChargeRequest {
  /** The Oncepay payment; every PaymentIntent made for it carries it as `metadata[oncepay_payment]`. */
  paymentId: string;
  amount: number;
  currency: string;
  customer: string | null;
  /** The provider's Idempotency-Key: derived from the idempotency record, never the client's key. */
  idempotencyKey: string;
}

/**
 * What the provider said to a charge request, as a recovery point keeps it: the outcome is known
 * either way. Not Stripe's charge object, which a webhook carries (webhooks/event.ts `chargeSchema`).
 */
export const chargeAnswerSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("succeeded"), providerPaymentId: z.string() }),
  z.object({ status: z.literal("failed"), providerPaymentId: z.string().nullable(), code: z.string() }),
]);
export type ChargeAnswer = z.infer<typeof chargeAnswerSchema>;

export interface RefundRequest {
  paymentIntent: string;
  amount: number;
  /** Our refund; the provider's refund carries it as `metadata[oncepay_refund]`, so it can be found again. */
  refundId: string;
  /** Derived from the refund's idempotency record, like a charge's. */
  idempotencyKey: string;
}

export const refundAnswerSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("succeeded"), providerRefundId: z.string() }),
  z.object({ status: z.literal("failed"), code: z.string() }),
]);
export type RefundAnswer = z.infer<typeof refundAnswerSchema>;

/** What the reaper concludes when the provider has no charge for a payment: it failed, and nobody was charged. */
export const NO_CHARGE = "provider_no_charge";
/** Likewise for a refund the provider never made. */
export const NO_REFUND = "provider_no_refund";

/** The payment provider as the domain needs it. Throws ProviderUnavailableError when the outcome is unknown. */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeAnswer>;
  refund(request: RefundRequest): Promise<RefundAnswer>;
  /** The provider's own answer for a payment, found by `metadata[oncepay_payment]`; null when it has no PaymentIntent for it. Never charges. */
  findCharge(paymentId: string): Promise<ChargeAnswer | null>;
  /** Our refund `refundId` as the provider has it (by `metadata[oncepay_refund]`), or null when it never made it. */
  findRefund(paymentIntent: string, refundId: string): Promise<RefundAnswer | null>;
}

/**
 * The provider did not say (a timeout, a reset connection, a 5xx): the charge may or may not have
 * been made. Nothing is stored as the outcome; a retry with the same derived key finds out.
 */
export class ProviderUnavailableError extends Error {
  static readonly retryAfterSeconds = 1;
  constructor(
    /** 504 when it never answered, 502 when it answered with an error. */
    readonly status: 502 | 504,
    options: { cause: unknown },
  ) {
    super(status === 504 ? "The payment provider did not answer" : "The payment provider answered with an error", options);
    this.name = "ProviderUnavailableError";
  }
}

/**
 * The provider's Idempotency-Key for one provider call of an execution, derived from its record:
 * the same for every retry, takeover or completer run of it, and never the client's key (two
 * merchants may send the same one).
 */
export function providerKeyOf(recordId: string, call: "charge" | "refund"): string {
  return `oncepay:${recordId}:${call}`;
}
