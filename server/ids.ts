import { customAlphabet } from "nanoid";

// nanoid draws each character without modulo bias (a plain `byte % 62` favours the first eight).
const base62 = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 24);

/** `prefix_` + 24 base62 characters (~142 bits), in the style of Stripe's object ids. */
export function newId(prefix: string): string {
  return `${prefix}_${base62()}`;
}
