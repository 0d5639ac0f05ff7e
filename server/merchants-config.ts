/** A merchant whose keys work: from demo mode or `ONCEPAY_MERCHANTS`. */
export interface ConfiguredMerchant {
  id: string;
  name: string;
  /** `sk_…`: everything the merchant may do. Held by the merchant's servers, never by a browser. */
  apiKey: string;
  /** `pk_…`: what a checkout in a browser may do (create payments, read them back). Optional. */
  publishableKey?: string;
}

export type ParsedMerchants = { ok: true; merchants: ConfiguredMerchant[] } | { ok: false; error: string };

const ID = /^[a-z0-9_-]{1,64}$/i;
// Visible ASCII without the list's own separators; long enough that a typo is not a key.
const SECRET = /^sk_[\x21-\x2b\x2d-\x39\x3b-\x7e]{8,250}$/;
const PUBLISHABLE = /^pk_[\x21-\x2b\x2d-\x39\x3b-\x7e]{8,250}$/;

/**
 * `ONCEPAY_MERCHANTS`: "id:secretKey[:publishableKey],…". An error names the entry by its position
 * and (when it is a valid id) its id, never by its text: the text holds keys, and the error is
 * printed when the server refuses to start.
 */
export function parseMerchants(raw: string): ParsedMerchants {
  const merchants: ConfiguredMerchant[] = [];
  const entries = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const parts = entry.split(":");
    const [id, apiKey, publishableKey] = parts;
    // The id is named only when it surely is one: an entry of one part, or a first part that looks
    // like a key, may be a key pasted alone.
    const named =
      parts.length > 1 && id && ID.test(id) && !/^[a-z]{1,6}_(test|live)_/i.test(id) && !/^[sprw]k_/i.test(id)
        ? `entry ${index + 1} ("${id}")`
        : `entry ${index + 1}`;
    const fail = (why: string): ParsedMerchants => ({ ok: false, error: `ONCEPAY_MERCHANTS ${named}: ${why}; expected "id:secretKey[:publishableKey]"` });
    if (!id || !ID.test(id)) return fail("the id must be 1 to 64 letters, digits, '_' or '-'");
    if (parts.length < 2 || parts.length > 3) return fail(`expected 2 or 3 parts separated by ':', got ${parts.length}`);
    if (!apiKey || !SECRET.test(apiKey)) return fail("the secret key must start with sk_ and be 11 to 253 visible characters");
    if (parts.length === 3 && (!publishableKey || !PUBLISHABLE.test(publishableKey))) {
      return fail("the publishable key must start with pk_ and be 11 to 253 visible characters");
    }
    if (merchants.some((m) => m.id === id)) return fail("the id is listed twice");
    const keys = new Set(merchants.flatMap((m) => [m.apiKey, m.publishableKey]));
    if (keys.has(apiKey) || (publishableKey && keys.has(publishableKey))) return fail("a key is also another entry's");
    merchants.push({ id, name: id, apiKey, ...(publishableKey ? { publishableKey } : {}) });
  }
  return { ok: true, merchants };
}
