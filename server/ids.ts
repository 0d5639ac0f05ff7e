import { customAlphabet } from "nanoid";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// nanoid draws each character without modulo bias (a plain `byte % 62` favours the first eight).
const random = customAlphabet(ALPHABET, 16);

/** Milliseconds since the epoch in 8 base62 characters (enough for 6 900 years), in ASCII order. */
function time62(ms: number): string {
  let out = "";
  for (let i = 0; i < 8; i++, ms = Math.floor(ms / 62)) out = ALPHABET[ms % 62] + out;
  return out;
}

/**
 * `prefix_` + 24 base62 characters, in the style of Stripe's object ids: the time first, then 16
 * random characters (~95 bits). Time first so that each new row's id lands at the right edge of its
 * B-trees (the payments', events', ledger sources', inboxes'): with random ids, at a million rows
 * every insert read a cold leaf page (bench/README.md, "At scale").
 */
export function newId(prefix: string): string {
  return `${prefix}_${time62(Date.now())}${random()}`;
}
