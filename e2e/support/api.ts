import type { APIRequestContext } from "@playwright/test";
import { API_KEYS, type MerchantName } from "../../fixtures";

export const auth = (merchant: MerchantName) => ({ authorization: `Bearer ${API_KEYS[merchant]}` });

export interface PaymentView {
  id: string;
  amount: number;
  currency: string;
  status: string;
  idempotencyKey: string;
  providerPaymentId: string | null;
  providerIdempotencyKey: string | null;
}

/** Payments that were not there before. */
export function added(after: PaymentView[], before: PaymentView[]): PaymentView[] {
  const seen = new Set(before.map((p) => p.id));
  return after.filter((p) => !seen.has(p.id));
}

/** What the database holds, read through the REST API: the ground truth the UI must agree with. */
export async function paymentsOf(request: APIRequestContext, merchant: MerchantName = "alice"): Promise<PaymentView[]> {
  const res = await request.get("/api/v1/payments?limit=100", { headers: auth(merchant) });
  if (!res.ok()) throw new Error(`list failed: ${res.status()}`);
  return ((await res.json()) as { data: PaymentView[] }).data;
}

export async function balanceOf(request: APIRequestContext, merchant: MerchantName = "alice", currency = "usd"): Promise<number> {
  const res = await request.get("/api/v1/balance", { headers: auth(merchant) });
  if (!res.ok()) throw new Error(`balance failed: ${res.status()}`);
  const body = (await res.json()) as { available: { currency: string; amount: number }[] };
  return body.available.find((b) => b.currency === currency)?.amount ?? 0;
}
