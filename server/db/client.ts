import pg from "pg";
import type { Logger } from "pino";
import { logger } from "../observability/logger";
import { DEFAULT_BOUNDS, poolBounds, type DatabaseBounds } from "./bounds";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase } from "./embedded";
import { migrate } from "./migrate";
import { seedMerchants, type MerchantSeed } from "./seed";
import { SqlPool, statement, type Sql } from "./sql";

/** One pool, and `sql` on it for everything: the embedded database keeps its one connection. */
export interface Database {
  sql: SqlPool;
  embedded: boolean;
  /** Unique per database (cluster id and database oid): namespaces what is kept about it elsewhere. */
  identity: string;
  close(): Promise<void>;
}

export interface DatabaseConfig {
  /** Real PostgreSQL; unset means the embedded database in `dataDir`. */
  url?: string;
  poolSize?: number;
  dataDir: string;
  /** Made the database's merchants (server/db/seed.ts); unset: left as they are (an events worker). */
  merchants?: MerchantSeed[];
  /** How long anything waits on the database; DEFAULT_BOUNDS when unset. */
  bounds?: DatabaseBounds;
}

/** Opens (and for the embedded database, starts and migrates) a database, with the merchants seeded. */
export async function openDatabase(config: DatabaseConfig, log: Logger): Promise<Database> {
  if (config.url) {
    const { sql, pool } = connect(config.url, config.poolSize ?? 10, true, true, config.bounds);
    try {
      if (config.merchants) await seedMerchants(sql, config.merchants);
      return { sql, embedded: false, identity: await identify(sql), close: () => pool.end() };
    } catch (error) {
      // The next request opens a new pool: during an outage every request would otherwise leave one
      // behind. Not awaited: against a hung server the close itself would wait for it.
      void pool.end().catch(() => undefined);
      throw error;
    }
  }
  const embedded = await startEmbeddedDatabase(config.dataDir);
  const report = await migrate(embedded.connectionString);
  if (report.applied.length) log.info({ applied: report.applied }, "embedded database migrated");
  const { sql, pool } = connect(embedded.connectionString, EMBEDDED_POOL_SIZE, false, false, config.bounds);
  if (config.merchants) await seedMerchants(sql, config.merchants);
  log.info({ dataDir: config.dataDir }, "embedded PostgreSQL (PGlite) ready");
  return {
    sql,
    embedded: true,
    identity: await identify(sql),
    async close() {
      await pool.end();
      await embedded.stop();
    },
  };
}

/**
 * A pool of `max` connections with `sql` on top; `prepared` only on real PostgreSQL,
 * which alone enforces the server's side of `bounds`.
 */
export function connect(connectionString: string, max: number, prepared: boolean, durableTransactionsOnly = prepared, bounds: DatabaseBounds = DEFAULT_BOUNDS) {
  const pool = new pg.Pool({
    connectionString,
    max,
    // Every wait bounded (connection, statement, idle transaction): under overload or against a
    // hung server a 503 beats an unbounded queue.
    ...poolBounds(bounds, prepared),
    // Autocommit statements (claims, releases, takeovers, request history) commit without waiting for
    // the disk; transactions opt back in (SqlPool.transaction). See SqlPool for why that is safe.
    ...(durableTransactionsOnly ? { options: "-c synchronous_commit=off" } : {}),
  });
  // Not `err`: pg's error carries the whole client, statements and all, into the log line.
  pool.on("error", (error: Error & { code?: string }) => logger.warn({ code: error.code, message: error.message }, "idle database connection failed"));
  return { pool, sql: new SqlPool(pool, prepared, bounds.transactionMs) };
}

const IDENTITY = statement(
  "database_identity",
  `SELECT system_identifier::text || '-' || (SELECT oid FROM pg_database WHERE datname = current_database())::text AS identity
     FROM pg_control_system()`,
);

/** A database dropped and recreated under the same name gets a new oid, so a new identity. */
export async function identify(sql: Sql): Promise<string> {
  const [row] = await sql.rows<{ identity: string }>(IDENTITY);
  if (!row) throw new Error("pg_control_system() returned no row");
  return row.identity;
}
