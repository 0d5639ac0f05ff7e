import { statement, type Sql } from "../db/sql";
import { hashApiKey } from "./api-keys";

export interface Merchant {
  id: string;
  name: string;
}

/** How long a known API key is trusted without asking the database again (a revoked key lives this long). */
const CACHE_MS = 60_000;
/** Beyond this many keys the cache starts over, so a flood of distinct keys cannot grow it. */
const CACHE_LIMIT = 10_000;

const cache = new Map<string, { merchant: Merchant; until: number }>();

// On `sql`, not Prisma: authentication is on every request path, where a database outage must
// surface as DatabaseUnavailableError (a 503), never as a Prisma error to decode.
const MERCHANT_BY_KEY_HASH = statement("merchant_by_api_key_hash", "SELECT id, name FROM merchants WHERE api_key_hash = $1");

/**
 * `Authorization: Bearer <api key>` → the merchant, or null for a missing or unknown key. Known
 * keys are remembered for a minute: authentication is otherwise a query on every request, the
 * largest cost of a replay. Unknown keys are never remembered, so a new merchant works at once.
 */
export async function authenticate(db: Sql, authorization: string | null): Promise<Merchant | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return null;
  const hash = hashApiKey(match[1]!);
  const cached = cache.get(hash);
  if (cached && cached.until > Date.now()) return cached.merchant;
  const [merchant] = await db.rows<Merchant>(MERCHANT_BY_KEY_HASH, [hash]);
  if (merchant) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(hash, { merchant, until: Date.now() + CACHE_MS });
  }
  return merchant ?? null;
}
