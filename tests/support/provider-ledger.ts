import type { PaymentIntent } from "@/simulator/payment-intents";
import { providerLedger } from "@/fixtures/simulator-process";

/** Every PaymentIntent the provider made for one Oncepay payment (`metadata[oncepay_payment]`). */
export async function intentsFor(providerUrl: string, paymentId: string): Promise<PaymentIntent[]> {
  return (await providerLedger(providerUrl)).payment_intents.filter((i) => i.metadata.oncepay_payment === paymentId);
}

/** Every event of the provider's outbox has had a 2xx from the receiver. */
export async function allDelivered(providerUrl: string): Promise<boolean> {
  const [ledger, attempts] = await Promise.all([
    providerLedger(providerUrl),
    fetch(`${providerUrl}/_simulator/deliveries`).then((r) => r.json() as Promise<{ data: { event_id: string; status: number | null }[] }>),
  ]);
  const done = new Set(attempts.data.filter((a) => a.status !== null && a.status < 300).map((a) => a.event_id));
  return ledger.events.every((e) => done.has(e.id));
}
