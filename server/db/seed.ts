import { hashApiKey } from "../auth/api-keys";
import { statement, type Sql } from "./sql";

export interface MerchantSeed {
  id: string;
  name: string;
  apiKey: string;
  publishableKey?: string;
}

// First, every merchant whose keys are not exactly the configured ones loses them: one no longer
// configured (the demo merchants after a start without demo mode) and one whose key was rotated.
// Cleared before the upsert so that keys moved between merchants never trip the unique indexes.
const REVOKE = statement(
  "merchants_revoke",
  `UPDATE merchants m SET api_key_hash = NULL, publishable_key_hash = NULL
   WHERE (m.api_key_hash IS NOT NULL OR m.publishable_key_hash IS NOT NULL)
     AND NOT EXISTS (
       SELECT 1 FROM unnest($1::text[], $2::text[], $3::text[]) AS c(id, api_key_hash, publishable_key_hash)
       WHERE c.id = m.id AND c.api_key_hash = m.api_key_hash AND c.publishable_key_hash IS NOT DISTINCT FROM m.publishable_key_hash
     )`,
);

const UPSERT = statement(
  "merchants_upsert",
  `INSERT INTO merchants (id, name, api_key_hash, publishable_key_hash)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
   ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, api_key_hash = EXCLUDED.api_key_hash, publishable_key_hash = EXCLUDED.publishable_key_hash
   WHERE merchants.name IS DISTINCT FROM EXCLUDED.name
      OR merchants.api_key_hash IS DISTINCT FROM EXCLUDED.api_key_hash
      OR merchants.publishable_key_hash IS DISTINCT FROM EXCLUDED.publishable_key_hash`,
);

/**
 * Makes the database's merchants' keys what the configuration says, on every start: configured
 * merchants are inserted or updated (so a rotated key replaces the old one, which then stops
 * working), and merchants in the database but not configured keep their rows and payments but
 * lose their keys. Instances still running with the old configuration forget a revoked key within
 * the Authenticator's cache time (a minute).
 */
export async function seedMerchants(sql: Sql, merchants: MerchantSeed[], options: { revokeOthers?: boolean } = {}): Promise<void> {
  const ids = merchants.map((m) => m.id);
  const secret = merchants.map((m) => hashApiKey(m.apiKey));
  const publishable = merchants.map((m) => (m.publishableKey ? hashApiKey(m.publishableKey) : null));
  // `revokeOthers: false` (benchmarks adding a merchant of their own): the others keep their keys.
  if (options.revokeOthers !== false) await sql.count(REVOKE, [ids, secret, publishable]);
  await sql.count(UPSERT, [ids, merchants.map((m) => m.name), secret, publishable]);
}
