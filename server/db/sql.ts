import type pg from "pg";
import type { SqlRunner, SqlTransactor, Statement } from "../idempotency/stores/sql";
import { fromDriver } from "./errors";

// One definition of a statement for the whole server: the idempotency store's port owns it.
export { statement, type Statement } from "../idempotency/stores/sql";

interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Runs statements on the pool or, inside `transaction`, on one connection. The hot path (claims,
 * payments, completions) goes through this rather than Prisma: one statement here costs a quarter
 * of a Prisma raw query in CPU (measured in the README's Performance section). A connection that
 * fails surfaces as DatabaseUnavailableError; a server error keeps its SQLSTATE (see `fromDriver`).
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

  private async run(s: Statement, values: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.target.query(this.prepared ? { name: s.name, text: s.text, values } : { text: s.text, values });
    } catch (error) {
      throw fromDriver(error);
    }
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

  /**
   * BEGIN, `fn` on one connection, COMMIT; ROLLBACK if anything throws. What `fn` throws itself
   * passes through unchanged; the checkout, BEGIN and COMMIT fail as `fromDriver` says. A COMMIT
   * whose connection died leaves its outcome unknown: the idempotency engine settles that.
   */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    // While a client is checked out the pool does not listen to it, and between two statements
    // nobody else does either: a connection killed then (a fast shutdown's 57P01) would be an
    // 'error' event without a listener, an uncaught exception. Remembered, it drops the client.
    let lost: Error | undefined;
    const onError = (error: Error) => void (lost ??= error);
    const client = await this.checkOut(onError);
    let broken: Error | undefined;
    try {
      await this.control(client, BEGIN_DURABLE);
      const result = await fn(new Sql(client, this.prepared));
      await this.control(client, "COMMIT");
      return result;
    } catch (error) {
      // A connection that cannot even roll back is dropped rather than handed to the next caller.
      await client.query("ROLLBACK").catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
      throw error;
    } finally {
      client.off("error", onError);
      client.release(lost ?? broken);
    }
  }

  private checkOut(onError: (error: Error) => void): Promise<pg.PoolClient> {
    return new Promise((resolve, reject) => {
      this.pool.connect((error, client) => {
        if (error || !client) return reject(fromDriver(error));
        // In the callback, not after an await: the pool can hand a connection over from inside
        // its socket's data handler (a new connection's ReadyForQuery, another caller's release),
        // and a 57P01 in the same read is emitted before any continuation would run. Measured:
        // attached after an await, restarts under load still let some escape.
        client.on("error", onError);
        resolve(client);
      });
    });
  }

  private async control(client: pg.PoolClient, text: string): Promise<void> {
    try {
      await client.query(text);
    } catch (error) {
      throw fromDriver(error);
    }
  }
}
