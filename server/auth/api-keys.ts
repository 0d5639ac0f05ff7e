import { createHash } from "node:crypto";

/** API keys are stored only as SHA-256: high-entropy secrets need no slow hash, only no plaintext. */
export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey, "utf8").digest("hex");
}
