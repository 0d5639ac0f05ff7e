import { LRUCache } from "lru-cache";
import { statement, type Sql } from "../db/sql";
import { hashApiKey } from "./api-keys";

export interface Merchant {
  id: string;
  name: string;
}

// On `sql`, not Prisma: authentication is on every request path, where a database outage must
// surface as DatabaseUnavailableError (a 503), never as a Prisma error to decode.
const MERCHANT_BY_KEY_HASH = statement("merchant_by_api_key_hash", "SELECT id, name FROM merchants WHERE api_key_hash = $1");

/**
 * `Authorization: Bearer <api key>` → the merchant, or null for a missing or unknown key. Known
 * keys are remembered for a minute (a revoked key lives that long): authentication is otherwise a
 * query on every request, the largest cost of a replay. At most 10 000 keys are remembered, the
 * least recently used dropped first, so a flood of distinct keys cannot grow it. Unknown keys are
 * never remembered, so a new merchant works at once.
 */
export class Authenticator {
  private readonly known = new LRUCache<string, Merchant>({ max: 10_000, ttl: 60_000 });

  constructor(private readonly db: Sql) {}

  async authenticate(authorization: string | null): Promise<Merchant | null> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) return null;
    const hash = hashApiKey(match[1]!);
    const cached = this.known.get(hash);
    if (cached) return cached;
    const [merchant] = await this.db.rows<Merchant>(MERCHANT_BY_KEY_HASH, [hash]);
    if (merchant) this.known.set(hash, merchant);
    return merchant ?? null;
  }
}
