import type pg from "pg";
import type { SqlRunner, SqlTransactor, Statement } from "../idempotency/stores/sql";

// One definition of a statement for the whole server: the idempotency store's port owns it.
export { statement, type Statement } from "../idempotency/stores/sql";

interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Runs statements on the pool or, inside `transaction`, on one connection. The hot path (claims,
 * payments, completions) goes through this rather than Prisma: one statement here costs a quarter
 * of a Prisma raw query in CPU (measured in the README's Performance section).
 */
export class Sql implements SqlRunner {
  constructor(
    protected readonly target: Queryable,
    /** Off for the embedded database: PGlite is one backend, so a name outlives its connection. */
    protected readonly prepared: boolean,
  ) {}

  async rows<R>(s: Statement, values: unknown[] = []): Promise<R[]> {
    return (await this.run(s, values)).rows as R[];
  }

  /** The number of rows a write touched. */
  async count(s: Statement, values: unknown[] = []): Promise<number> {
    return (await this.run(s, values)).rowCount ?? 0;
  }

  private run(s: Statement, values: unknown[]): Promise<pg.QueryResult> {
    return this.target.query(this.prepared ? { name: s.name, text: s.text, values } : { text: s.text, values });
  }
}

/**
 * Every transaction commits durably (waits for its WAL to reach disk), even on a connection whose
 * autocommit statements do not. That split is safe for the idempotency engine because WAL is
 * flushed in order: a payment's durable commit also makes durable every claim before it, and a
 * claim lost in a crash had nothing committed under it, so its key is simply free again.
 */
const BEGIN_DURABLE = "BEGIN; SET LOCAL synchronous_commit TO on";

export class SqlPool extends Sql implements SqlTransactor<Sql> {
  constructor(
    private readonly pool: pg.Pool,
    prepared: boolean,
  ) {
    super(pool, prepared);
  }

  /** BEGIN, `fn` on one connection, COMMIT; ROLLBACK if anything throws. */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(BEGIN_DURABLE);
      const result = await fn(new Sql(client, this.prepared));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      // A connection that cannot even roll back is dropped rather than handed to the next caller.
      await client.query("ROLLBACK").catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
