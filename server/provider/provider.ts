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
  /** Passed to the simulator's `Simulate-Failure` (the demo's fault toggle). */
  simulate?: string;
}

/** What the provider said, as a recovery point keeps it: the outcome is known either way. */
export const chargeSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("succeeded"), providerPaymentId: z.string() }),
  z.object({ status: z.literal("failed"), providerPaymentId: z.string().nullable(), code: z.string() }),
]);
export type Charge = z.infer<typeof chargeSchema>;

export interface RefundRequest {
  paymentIntent: string;
  amount: number;
  /** Derived from the refund's idempotency record, like a charge's. */
  idempotencyKey: string;
}

export const refundAnswerSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("succeeded"), providerRefundId: z.string() }),
  z.object({ status: z.literal("failed"), code: z.string() }),
]);
export type RefundAnswer = z.infer<typeof refundAnswerSchema>;

/** The payment provider as the domain needs it. Throws ProviderUnavailableError when the outcome is unknown. */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<Charge>;
  refund(request: RefundRequest): Promise<RefundAnswer>;
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
