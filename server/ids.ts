import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `prefix_` + 24 base62 characters (~142 bits), in the style of Stripe's object ids. */
export function newId(prefix: string): string {
  const bytes = randomBytes(24);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % 62];
  return `${prefix}_${out}`;
}
