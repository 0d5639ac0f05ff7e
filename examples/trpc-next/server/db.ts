import { PGlite } from "@electric-sql/pglite";
import { CallPipeline, IdempotencyEngine } from "@oncepay/idempotency";
import { PostgresStore, pgliteSql, schemaSql } from "@oncepay/idempotency/pglite";
import type { SqlRunner } from "@oncepay/idempotency/postgres";

export interface Database {
  db: PGlite;
  pipeline: CallPipeline<SqlRunner>;
}

const NOTES_SQL = `CREATE TABLE IF NOT EXISTS notes (
  id         serial PRIMARY KEY,
  text       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

async function open(): Promise<Database> {
  const db = new PGlite();
  await db.exec(schemaSql);
  await db.exec(NOTES_SQL);
  const engine = new IdempotencyEngine(new PostgresStore(pgliteSql(db)), { ttlSeconds: 24 * 3600, lockTimeoutSeconds: 30 });
  return { db, pipeline: new CallPipeline(engine) };
}

// One in-memory database per process: Next may load this module more than once (per route bundle,
// or again on a dev reload), and each copy must find the same one.
const shared = globalThis as typeof globalThis & { notesDatabase?: Promise<Database> };

export function database(): Promise<Database> {
  return (shared.notesDatabase ??= open());
}
