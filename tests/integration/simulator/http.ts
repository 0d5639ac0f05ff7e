import { randomUUID } from "node:crypto";
import qs from "qs";

/** A raw call to the simulator, for what the SDK hides: headers, exact bytes, status codes. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index into arbitrary JSON
}

export interface RawOptions {
  apiKey?: string | null;
  idempotencyKey?: string;
  fault?: string;
}

export async function raw(url: string, method: "GET" | "POST", path: string, params: object = {}, options: RawOptions = {}): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  const apiKey = options.apiKey === undefined ? "sk_test_oncepay" : options.apiKey;
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (options.fault) headers["Simulate-Failure"] = options.fault;
  const encoded = qs.stringify(params);
  let target = `${url}${path}`;
  let body: string | undefined;
  if (method === "POST") {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = encoded;
  } else if (encoded) target += `?${encoded}`;
  const res = await fetch(target, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** A unique marker to find this test's PaymentIntents in the shared ledger. */
export function marker(): { oncepay_payment: string } {
  return { oncepay_payment: `pay_${randomUUID()}` };
}

export function chargeParams(metadata = marker(), paymentMethod = "pm_card_visa", amount = 1200) {
  return { amount, currency: "usd", confirm: true, payment_method: paymentMethod, metadata };
}
