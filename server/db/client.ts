import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Logger } from "pino";
import { logger } from "../observability/logger";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase } from "./embedded";
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
  merchants: MerchantSeed[];
}

/** Opens (and for the embedded database, starts and migrates) a database, with the merchants seeded. */
export async function openDatabase(config: DatabaseConfig, log: Logger): Promise<Database> {
  if (config.url) {
    const { prisma, sql, pool } = connect(config.url, config.poolSize ?? 10, true);
    try {
      await seedMerchants(sql, config.merchants);
      return { prisma, sql, embedded: false, identity: await identify(sql), close: () => closeBoth(prisma, pool) };
    } catch (error) {
      // The next request opens a new pool: during an outage every request would otherwise leave one behind.
      await closeBoth(prisma, pool).catch(() => undefined);
      throw error;
    }
  }
  const embedded = await startEmbeddedDatabase(config.dataDir);
  const report = await migrate(embedded.connectionString);
  if (report.applied.length) log.info({ applied: report.applied }, "embedded database migrated");
  const { prisma, sql, pool } = connect(embedded.connectionString, EMBEDDED_POOL_SIZE, false);
  await seedMerchants(sql, config.merchants);
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

/** A pool of `max` connections with Prisma and `sql` on top; `prepared` only on real PostgreSQL. */
export function connect(connectionString: string, max: number, prepared: boolean, durableTransactionsOnly = prepared) {
  // A caller waits at most 15 s for a connection: under overload a 503 beats an unbounded queue.
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 15_000,
    // Autocommit statements (claims, releases, takeovers, history) commit without waiting for
    // the disk; transactions opt back in (SqlPool.transaction). See SqlPool for why that is safe.
    ...(durableTransactionsOnly ? { options: "-c synchronous_commit=off" } : {}),
  });
  // Not `err`: pg's error carries the whole client, statements and all, into the log line.
  pool.on("error", (error: Error & { code?: string }) => logger.warn({ code: error.code, message: error.message }, "idle database connection failed"));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { pool, prisma, sql: new SqlPool(pool, prepared) };
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
