import type { SqlRunner, SqlTransactor, Statement } from "../postgres/sql.js";

export { PostgresStore, type PostgresStoreOptions } from "../postgres/store.js";
export { schemaSql } from "../postgres/schema.js";
export { statement, type SqlRunner, type SqlTransactor, type Statement } from "../postgres/sql.js";

/** What `pgliteSql` needs of PGlite (`@electric-sql/pglite`'s `PGlite` fits): no import of it here. */
export interface PgliteQueryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
}

export interface PgliteDatabase extends PgliteQueryable {
  transaction<T>(fn: (tx: PgliteQueryable) => Promise<T>): Promise<T>;
}

function runner(db: PgliteQueryable): SqlRunner {
  return {
    async rows<R>(statement: Statement, values: unknown[] = []): Promise<R[]> {
      return (await db.query<R>(statement.text, values)).rows;
    },
    async count(statement: Statement, values: unknown[] = []): Promise<number> {
      return (await db.query(statement.text, values)).affectedRows ?? 0;
    },
  };
}

/**
 * The store's SQL port on an in-process PGlite: one connection, so its transactions are serialized
 * by PGlite itself. Never hold one across a wait or a network call (steps run outside them).
 */
export function pgliteSql(db: PgliteDatabase): SqlTransactor<SqlRunner> {
  return { ...runner(db), transaction: (fn) => db.transaction((tx) => fn(runner(tx))) };
}
