import { customAlphabet } from "nanoid";

// Stripe's ids are base62 after the prefix; clients match on the prefix, so keep it recognisable.
const base62 = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 24);

export type IdPrefix = "pi" | "ch" | "re" | "dp" | "evt" | "req";

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base62()}`;
}

/** Stripe's timestamps are unix seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
