import { hashApiKey } from "../auth/api-keys";
import { statement, type Sql } from "./sql";

export interface MerchantSeed {
  id: string;
  name: string;
  apiKey: string;
}

const SEED = statement(
  "merchants_seed",
  `INSERT INTO merchants (id, name, api_key_hash)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
   ON CONFLICT DO NOTHING`,
);

/** Inserts the configured merchants that do not exist yet; safe to run on every start. */
export async function seedMerchants(sql: Sql, merchants: MerchantSeed[]): Promise<void> {
  await sql.count(SEED, [merchants.map((m) => m.id), merchants.map((m) => m.name), merchants.map((m) => hashApiKey(m.apiKey))]);
}
