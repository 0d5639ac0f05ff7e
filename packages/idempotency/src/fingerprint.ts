import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

/**
 * The identity of a request body: SHA-256 over its RFC 8785 canonical JSON, so that key order,
 * whitespace and escapes never make the same request look different.
 */
export function fingerprint(input: unknown): string {
  const canonical = canonicalize(input);
  if (canonical === undefined) throw new TypeError("fingerprint: input has no JSON form");
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}
