import Stripe from "stripe";
import { simulatedFailure } from "./faults";
import { ProviderUnavailableError, type ChargeAnswer, type ChargeRequest, type PaymentProvider, type RefundAnswer, type RefundRequest } from "./provider";

export interface StripeProviderOptions {
  secretKey: string;
  /** The simulator (or any Stripe-compatible host); undefined means Stripe itself. */
  url?: string;
  timeoutMs: number;
  /** The SDK's own retries, each with the same Idempotency-Key: safe because the key is ours. */
  maxNetworkRetries: number;
}

/** Stripe's test payment methods: one that succeeds, one that always declines. */
const PAYMENT_METHOD = { ok: "pm_card_visa", declined: "pm_card_chargeDeclined" } as const;
const DECLINED_CUSTOMER = "cus_declined";

/** The provider spoken to by the official `stripe` SDK: the simulator by default, Stripe's test mode with a real key. */
export class StripeProvider implements PaymentProvider {
  private readonly stripe: Stripe;

  constructor(options: StripeProviderOptions) {
    const url = options.url ? new URL(options.url) : null;
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: options.maxNetworkRetries,
      timeout: options.timeoutMs,
      ...(url && {
        host: url.hostname,
        port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
        protocol: url.protocol === "https:" ? "https" : "http",
      }),
    });
  }

  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency,
          confirm: true,
          payment_method: request.customer === DECLINED_CUSTOMER ? PAYMENT_METHOD.declined : PAYMENT_METHOD.ok,
          // Stripe's confirm=true otherwise asks for a return_url in case of redirects.
          automatic_payment_methods: { enabled: true, allow_redirects: "never" },
          metadata: { oncepay_payment: request.paymentId },
        },
        withFault({ idempotencyKey: request.idempotencyKey }),
      );
      if (intent.status === "succeeded") return { status: "succeeded", providerPaymentId: intent.id };
      return { status: "failed", providerPaymentId: intent.id, code: intent.last_payment_error?.code ?? "payment_failed" };
    } catch (error) {
      // A decline is an answer, stored and replayed like any other; only silence or a 5xx is unknown.
      if (error instanceof Stripe.errors.StripeCardError) {
        const intentId = (error.raw as { payment_intent?: { id?: string } }).payment_intent?.id ?? null;
        return { status: "failed", providerPaymentId: intentId, code: error.code ?? "card_declined" };
      }
      throw unavailable(error);
    }
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: request.paymentIntent, amount: request.amount, metadata: { oncepay_refund: request.refundId } },
        withFault({ idempotencyKey: request.idempotencyKey }),
      );
      return { status: "succeeded", providerRefundId: refund.id };
    } catch (error) {
      // The provider refused (more than remains, nothing to refund): an answer, stored like a decline.
      if (error instanceof Stripe.errors.StripeInvalidRequestError) return { status: "failed", code: error.code ?? "refund_refused" };
      throw unavailable(error);
    }
  }

  async findCharge(paymentId: string): Promise<ChargeAnswer | null> {
    try {
      // Stripe's search (its index may lag a new PaymentIntent by a minute: the reaper only asks after
      // PROCESSING_TIMEOUT_SECONDS). Our ids are base62, so the query needs no escaping.
      const found = await this.stripe.paymentIntents.search({ query: `metadata['oncepay_payment']:'${paymentId}'`, limit: 10 });
      const intents = found.data.filter((intent) => intent.metadata.oncepay_payment === paymentId);
      const succeeded = intents.find((intent) => intent.status === "succeeded");
      if (succeeded) return { status: "succeeded", providerPaymentId: succeeded.id };
      const declined = intents.find((intent) => intent.last_payment_error);
      if (declined) return { status: "failed", providerPaymentId: declined.id, code: declined.last_payment_error?.code ?? "card_declined" };
      return null;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async findRefund(paymentIntent: string, refundId: string): Promise<RefundAnswer | null> {
    try {
      for await (const refund of this.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })) {
        if (refund.metadata?.oncepay_refund === refundId && refund.status === "succeeded") return { status: "succeeded", providerRefundId: refund.id };
      }
      return null;
    } catch (error) {
      throw unavailable(error);
    }
  }
}

function unavailable(error: unknown): ProviderUnavailableError {
  return new ProviderUnavailableError(error instanceof Stripe.errors.StripeConnectionError ? 504 : 502, { cause: error });
}

/** The request options with the simulated failure of the call running now, if any (the demo's toggle). */
function withFault(options: Stripe.RequestOptions): Stripe.RequestOptions {
  const simulate = simulatedFailure();
  return simulate ? { ...options, headers: { "Simulate-Failure": simulate } } : options;
}
