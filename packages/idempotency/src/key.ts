import { z } from "zod";

export const MAX_KEY_LENGTH = 255;

/**
 * A client's idempotency key: 1..255 characters of visible ASCII (0x21-0x7E). Whitespace and
 * control characters are refused rather than trimmed, so that two keys that look alike are alike.
 */
export const idempotencyKeySchema = z
  .string({ error: "Idempotency-Key must be a string" })
  .min(1, "Idempotency-Key must not be empty")
  .max(MAX_KEY_LENGTH, `Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters`)
  .regex(/^[\x21-\x7e]+$/, "Idempotency-Key may hold only visible ASCII characters (0x21-0x7E)");

export type IdempotencyKey = z.infer<typeof idempotencyKeySchema>;
