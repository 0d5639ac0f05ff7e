import { createHash } from "node:crypto";

/**
 * What a log line says of an idempotency key: the first 16 hex digits of its SHA-256. Enough to
 * follow one key through the logs (hash the key you hold to find it), never the key itself: a key
 * may be all a replay needs to be answered with someone's stored response.
 */
export function keyDigest(key: string | null | undefined): string | undefined {
  return key ? createHash("sha256").update(key, "utf8").digest("hex").slice(0, 16) : undefined;
}
