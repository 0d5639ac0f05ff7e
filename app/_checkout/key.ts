import { nanoid } from "nanoid";

/**
 * A fresh idempotency key: 21 URL-safe characters (~126 random bits) from nanoid. Not
 * crypto.randomUUID(): browsers offer it only in secure contexts, so a checkout opened over plain
 * http from a LAN address (the dev server's "Network" URL) had none and Pay stalled. nanoid draws
 * from crypto.getRandomValues, which exists in every context.
 */
export function newIdempotencyKey(): string {
  return nanoid();
}
