import { sql } from "../db/client";
import type { Sql } from "../db/sql";
import { env } from "../env";
import { IdempotencyEngine } from "./engine";
import { PostgresStore } from "./stores/postgres";

const holder = globalThis as typeof globalThis & { __oncepayEngine?: IdempotencyEngine<Sql> };

/** The app's engine: the PostgreSQL store with the configured retention and lease. */
export async function defaultEngine(): Promise<IdempotencyEngine<Sql>> {
  if (!holder.__oncepayEngine) {
    holder.__oncepayEngine = new IdempotencyEngine(new PostgresStore(await sql()), {
      ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
      lockTimeoutSeconds: env.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
    });
  }
  return holder.__oncepayEngine;
}
