import type { Env } from "./env";

/**
 * A merchant the checkout can act as: what the browser may know of it. Its publishable key (pk_…)
 * can create payments and read them back, nothing else; secret keys never reach the browser. The
 * root layout reads the list from the configuration and hands it to the browser as props, so no
 * browser module imports server/demo-merchants.ts or any key (import this file's type only).
 */
export interface CheckoutMerchant {
  id: string;
  name: string;
  publishableKey: string;
}

/** Those with a publishable key: the demo merchants in demo mode, and configured ones given one. */
export function checkoutMerchants(config: Pick<Env, "merchants">): CheckoutMerchant[] {
  return config.merchants.flatMap((m) => (m.publishableKey ? [{ id: m.id, name: m.name, publishableKey: m.publishableKey }] : []));
}
