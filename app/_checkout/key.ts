type FillRandom = (bytes: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>;

/**
 * A fresh idempotency key: a random (version 4) UUID. Not crypto.randomUUID(): browsers offer it
 * only in secure contexts, so a checkout opened over plain http from a LAN address (the dev
 * server's "Network" URL) had none and Pay stalled. getRandomValues exists in every context.
 */
export function newIdempotencyKey(fill: FillRandom = (bytes) => crypto.getRandomValues(bytes)): string {
  const b = fill(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}
