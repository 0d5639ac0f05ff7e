import type { SqlRunner, SqlTransactor, Statement } from "./sql.js";

/** What `pgSql` needs of node-postgres: a `pg.Pool` fits, and so does a `pg.Client` for `query`. */
export interface PgQueryable {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export interface PgPool extends PgQueryable {
  connect(): Promise<PgQueryable & { release(error?: Error | boolean): void }>;
}

function runner(client: PgQueryable): SqlRunner {
  return {
    async rows<R>(statement: Statement, values: unknown[] = []): Promise<R[]> {
      return (await client.query({ name: statement.name, text: statement.text, values })).rows as R[];
    },
    async count(statement: Statement, values: unknown[] = []): Promise<number> {
      return (await client.query({ name: statement.name, text: statement.text, values })).rowCount ?? 0;
    },
  };
}

/**
 * The store's SQL port on a node-postgres pool: named statements (prepared once per connection),
 * and transactions on one connection, rolled back on any error.
 */
export function pgSql(pool: PgPool): SqlTransactor<SqlRunner> {
  return {
    ...runner(pool),
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: unknown = undefined;
      try {
        await client.query({ text: "BEGIN" });
        const result = await fn(runner(client));
        await client.query({ text: "COMMIT" });
        return result;
      } catch (error) {
        await client.query({ text: "ROLLBACK" }).catch((rollbackError: unknown) => (broken = rollbackError));
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: it is destroyed, not reused.
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
}
