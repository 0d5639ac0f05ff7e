import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/** Prisma Migrate's own advisory lock key: our runner and `prisma migrate` exclude each other. */
const PRISMA_MIGRATE_LOCK = 72707369;

const BOOKKEEPING_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export const MIGRATIONS_DIR = path.resolve(process.cwd(), "prisma", "migrations");

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies the Prisma-format folders in `prisma/migrations/` that are not yet recorded in
 * `_prisma_migrations`, each in its own transaction, under Prisma's advisory lock. It exists
 * because Prisma's WebAssembly migrate cannot read real PostgreSQL catalogs through adapter-pg
 * (prisma/orm#27403); the bookkeeping matches Prisma's so `prisma migrate status` agrees.
 */
export async function migrate(connectionString: string, dir = MIGRATIONS_DIR): Promise<MigrationReport> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
    try {
      await client.query(BOOKKEEPING_DDL);
      const done = await client.query<{ migration_name: string; checksum: string }>(
        `SELECT migration_name, checksum FROM "_prisma_migrations"
          WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      );
      const applied = new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
      const report: MigrationReport = { applied: [], alreadyApplied: [] };
      for (const name of await migrationNames(dir)) {
        const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
        const checksum = createHash("sha256").update(sql).digest("hex");
        const previous = applied.get(name);
        if (previous !== undefined) {
          if (previous !== checksum) {
            throw new Error(`Migration ${name} was edited after it was applied (checksum differs)`);
          }
          report.alreadyApplied.push(name);
          continue;
        }
        await applyOne(client, name, sql, checksum);
        report.applied.push(name);
      }
      return report;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]);
    }
  } finally {
    await client.end();
  }
}

async function migrationNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function applyOne(client: pg.Client, name: string, sql: string, checksum: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, now(), 1)`,
      [randomUUID(), checksum, name],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw new Error(`Migration ${name} failed: ${(error as Error).message}`, { cause: error });
  }
}
