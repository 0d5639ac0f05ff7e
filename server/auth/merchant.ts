import { LRUCache } from "lru-cache";
import { statement, type Sql } from "../db/sql";
import { problem, ProblemError, problemError } from "../problem";
import { hashApiKey } from "./api-keys";
import type { FailedAuthentications } from "./failures";

export interface Merchant {
  id: string;
  name: string;
}

/** `secret` (sk_…): everything the merchant may do. `publishable` (pk_…): a checkout's calls only. */
export type KeyKind = "secret" | "publishable";

/** Who a key says is calling: the merchant, and what kind of key it used. */
export interface Principal {
  merchant: Merchant;
  kind: KeyKind;
}

// One query for both kinds of key (each column has its unique index).
const PRINCIPAL_BY_KEY_HASH = statement(
  "principal_by_key_hash",
  `SELECT id, name, CASE WHEN api_key_hash = $1 THEN 'secret' ELSE 'publishable' END AS kind
   FROM merchants WHERE api_key_hash = $1 OR publishable_key_hash = $1`,
);

const UNAUTHORIZED_DETAIL = "A valid API key is required: Authorization: Bearer <api key>.";

/**
 * `Authorization: Bearer <api key>` → the principal. Known keys are remembered for a minute (a
 * revoked or rotated key lives that long in a process that did not restart): authentication is
 * otherwise a query on every request, the largest cost of a replay. At most 10 000 keys are
 * remembered, the least recently used dropped first, so a flood of distinct keys cannot grow it.
 * Unknown keys are never remembered, so a new merchant works at once.
 */
export class Authenticator {
  private readonly known = new LRUCache<string, Principal>({ max: 10_000, ttl: 60_000 });

  constructor(
    private readonly db: Sql,
    private readonly failures?: FailedAuthentications,
  ) {}

  /** The principal of the header, or null for a missing or unknown key. Counts nothing. */
  async lookup(authorization: string | null): Promise<Principal | null> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) return null;
    const hash = hashApiKey(match[1]!);
    const cached = this.known.get(hash);
    if (cached) return cached;
    const [row] = await this.db.rows<Merchant & { kind: KeyKind }>(PRINCIPAL_BY_KEY_HASH, [hash]);
    if (!row) return null;
    const principal: Principal = { merchant: { id: row.id, name: row.name }, kind: row.kind };
    this.known.set(hash, principal);
    return principal;
  }

  /**
   * The principal, or a ProblemError: `401` for a missing or unknown key, `429` for an address that
   * failed too often lately. A refused address's key is not even looked up, so its next guess is
   * never evaluated; a key sent and not found counts as a failure of `address`.
   */
  async authenticate(authorization: string | null, address: string): Promise<Principal> {
    const wait = this.failures?.retryAfterSeconds(address) ?? 0;
    if (wait > 0) {
      throw new ProblemError(
        problem("too_many_failed_authentications", "Too many failed authentications from this address: try again later.", { retryAfterSeconds: wait }),
        {
          "retry-after": String(wait),
        },
      );
    }
    const principal = await this.lookup(authorization);
    if (principal) return principal;
    // A request without a key guesses nothing: only a key that was sent and refused counts.
    if (authorization !== null && authorization.trim() !== "") await this.failures?.failed(address);
    throw new ProblemError(problem("unauthorized", UNAUTHORIZED_DETAIL), { "www-authenticate": 'Bearer realm="oncepay"' });
  }
}

/** What a principal may call: a publishable key only what is marked `publishable` (the checkout's calls). */
export function requireAccess(principal: Principal, access: { publishable?: boolean }): Merchant {
  if (principal.kind === "publishable" && !access.publishable) {
    throw problemError("secret_key_required", "A publishable key can only create payments and read them back: this needs the merchant's secret key (sk_…).");
  }
  return principal.merchant;
}
