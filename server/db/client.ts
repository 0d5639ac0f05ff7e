import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Logger } from "pino";
import { logger } from "../observability/logger";
import { DEFAULT_BOUNDS, poolBounds, type DatabaseBounds } from "./bounds";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase } from "./embedded";
import { fromDriver } from "./errors";
import { PrismaClient } from "./generated/client";
import { migrate } from "./migrate";
import { seedMerchants, type MerchantSeed } from "./seed";
import { SqlPool, statement, type Sql } from "./sql";

export type { PrismaClient };

/**
 * One pool, two ways in: Prisma for the model (the dashboard's reads) and `sql` for the idempotency
 * engine and the payment effect, the hot path. Sharing the pool keeps the embedded database at its
 * one connection.
 */
export interface Database {
  prisma: PrismaClient;
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
    const { prisma, sql, pool } = connect(config.url, config.poolSize ?? 10, true, true, config.bounds);
    try {
      if (config.merchants) await seedMerchants(sql, config.merchants);
      return { prisma, sql, embedded: false, identity: await identify(sql), close: () => closeBoth(prisma, pool) };
    } catch (error) {
      // The next request opens a new pool: during an outage every request would otherwise leave one
      // behind. Not awaited: against a hung server the close itself would wait for it.
      void closeBoth(prisma, pool).catch(() => undefined);
      throw error;
    }
  }
  const embedded = await startEmbeddedDatabase(config.dataDir);
  const report = await migrate(embedded.connectionString);
  if (report.applied.length) log.info({ applied: report.applied }, "embedded database migrated");
  const { prisma, sql, pool } = connect(embedded.connectionString, EMBEDDED_POOL_SIZE, false, false, config.bounds);
  if (config.merchants) await seedMerchants(sql, config.merchants);
  log.info({ dataDir: config.dataDir }, "embedded PostgreSQL (PGlite) ready");
  return {
    prisma,
    sql,
    embedded: true,
    identity: await identify(sql),
    async close() {
      await closeBoth(prisma, pool);
      await embedded.stop();
    },
  };
}

/**
 * A pool of `max` connections with Prisma and `sql` on top; `prepared` only on real PostgreSQL,
 * which alone enforces the server's side of `bounds`.
 */
export function connect(connectionString: string, max: number, prepared: boolean, durableTransactionsOnly = prepared, bounds: DatabaseBounds = DEFAULT_BOUNDS) {
  const pool = new pg.Pool({
    connectionString,
    max,
    // Every wait bounded (connection, statement, idle transaction): under overload or against a
    // hung server a 503 beats an unbounded queue.
    ...poolBounds(bounds, prepared),
    // Autocommit statements (claims, releases, takeovers, history) commit without waiting for
    // the disk; transactions opt back in (SqlPool.transaction). See SqlPool for why that is safe.
    ...(durableTransactionsOnly ? { options: "-c synchronous_commit=off" } : {}),
  });
  // Not `err`: pg's error carries the whole client, statements and all, into the log line.
  pool.on("error", (error: Error & { code?: string }) => logger.warn({ code: error.code, message: error.message }, "idle database connection failed"));
  outagesAsErrors(pool);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { pool, prisma, sql: new SqlPool(pool, prepared, bounds.transactionMs) };
}

/**
 * pg's own timeouts (no connection in time, no answer in time) and a dropped connection are plain
 * `Error`s, which Prisma's adapter rethrows as they are: the dashboard's reads would answer 500.
 * Translated here, where they can only have come from the driver, they reach Prisma's callers as
 * DatabaseUnavailableError (measured: Prisma passes the instance through).
 */
function outagesAsErrors(pool: pg.Pool): void {
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    const result = query(...args);
    return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(fromDriver(error))) : result;
  }) as typeof pool.query;
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

async function closeBoth(prisma: PrismaClient, pool: pg.Pool): Promise<void> {
  await prisma.$disconnect();
  await pool.end();
}
