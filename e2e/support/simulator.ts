import type { APIRequestContext } from "@playwright/test";

/** The provider simulator playwright.config.ts starts; E2E_PROVIDER_PORT lets two checkouts of the repo run at once. */
export const PROVIDER_PORT = Number(process.env.E2E_PROVIDER_PORT ?? 12112);
export const providerURL = `http://127.0.0.1:${PROVIDER_PORT}`;

export interface PaymentIntentView {
  id: string;
  status: string;
  amount: number;
  metadata: Record<string, string>;
}

/** What the provider holds, read through its own API: the ground truth for "charged once". */
export async function paymentIntents(request: APIRequestContext): Promise<PaymentIntentView[]> {
  const res = await request.get(`${providerURL}/v1/payment_intents?limit=100`, { headers: { authorization: "Bearer sk_test_e2e" } });
  if (!res.ok()) throw new Error(`provider list failed: ${res.status()}`);
  return ((await res.json()) as { data: PaymentIntentView[] }).data;
}

/** The PaymentIntents charged for one Oncepay payment (the charge's metadata names it). */
export async function intentsOf(request: APIRequestContext, paymentId: string): Promise<PaymentIntentView[]> {
  return (await paymentIntents(request)).filter((pi) => pi.metadata.oncepay_payment === paymentId);
}
