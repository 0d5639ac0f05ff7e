import type { PaymentIntent } from "@/provider/payment-intents";
import { providerLedger } from "@/fixtures/provider-process";

/** Every PaymentIntent the provider made for one Oncepay payment (`metadata[oncepay_payment]`). */
export async function intentsFor(providerUrl: string, paymentId: string): Promise<PaymentIntent[]> {
  return (await providerLedger(providerUrl)).payment_intents.filter((i) => i.metadata.oncepay_payment === paymentId);
}
