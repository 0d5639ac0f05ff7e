import pg from "pg";
import type { SqlRunner, SqlTransactor } from "@oncepay/idempotency/postgres";
import { DEFAULT_BOUNDS } from "./bounds";
import { DatabaseUnavailableError, fromDriver, TransactionDeadlineError } from "./errors";

/** A named statement: prepared once per connection, then only bound and run (the idempotency store's `Statement` has this shape). */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text };
}

interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Runs statements on the pool or, inside `transaction`, on one connection: every query of the app.
 * Prepared by name on real PostgreSQL (a quarter of a Prisma raw query's CPU, measured in
 * bench/README.md, "Prisma against `pg`"). A connection that fails surfaces as
 * DatabaseUnavailableError; a server error keeps its SQLSTATE (see `fromDriver`).
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

/** One transaction's connection, whether its deadline has passed, and whether the connection went back to the pool. */
interface Attempt {
  client?: pg.PoolClient;
  expired?: DatabaseUnavailableError;
  released?: boolean;
}

export class SqlPool extends Sql implements SqlTransactor<Sql> {
  constructor(
    private readonly pool: pg.Pool,
    prepared: boolean,
    /** The bound on a whole transaction, its checkout included; below EVENTS_GRACE_SECONDS (server/env.ts checks). */
    private readonly transactionMs: number = DEFAULT_BOUNDS.transactionMs,
  ) {
    super(pool, prepared);
  }

  /**
   * BEGIN, `fn` on one connection, COMMIT; ROLLBACK if anything throws. What `fn` throws itself
   * passes through unchanged; the checkout, BEGIN and COMMIT fail as `fromDriver` says. A COMMIT
   * whose connection died leaves its outcome unknown: the idempotency engine settles that.
   *
   * Settles within `transactionMs` whatever the database does. Past it the caller gets a
   * DatabaseUnavailableError (cause TransactionDeadlineError) and the connection is closed: a
   * statement in flight fails, none can follow, and the server rolls the transaction back when it
   * reads the close (a hung server: when it wakes), unless the COMMIT was already on its way: its
   * outcome is then unknown, as after any lost connection. So no transaction of ours stays open
   * past the deadline, which the outbox's safe point counts on (see server/env.ts).
   */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const attempt: Attempt = {};
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        attempt.expired = new DatabaseUnavailableError(new TransactionDeadlineError(this.transactionMs));
        // Dropped now, not when `fn` gives up: its slot in the pool is free at once (the embedded
        // database has only the one). The pool ends it, failing a statement in flight.
        if (attempt.client && !attempt.released) {
          attempt.released = true;
          attempt.client.release(attempt.expired);
        }
        reject(attempt.expired);
      }, this.transactionMs);
    });
    try {
      // What `execute` does after the deadline only meets a closed connection; race() keeps its failure handled.
      return await Promise.race([this.execute(fn, attempt), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async execute<T>(fn: (tx: Sql) => Promise<T>, attempt: Attempt): Promise<T> {
    // While a client is checked out the pool does not listen to it, and between two statements
    // nobody else does either: a connection killed then (a fast shutdown's 57P01) would be an
    // 'error' event without a listener, an uncaught exception. Remembered, it drops the client.
    let lost: Error | undefined;
    const onError = (error: Error) => void (lost ??= error);
    const client = await this.checkOut(onError);
    attempt.client = client;
    // The connection's own failures (a timeout, a drop), as against the server's answers: after one
    // the connection is in an unknown state, and a ROLLBACK on it would only wait again.
    let broken: Error | undefined;
    const wire: Queryable = {
      query: <R extends pg.QueryResultRow>(config: pg.QueryConfig) =>
        client.query<R>(config).catch((error: unknown) => {
          if (!(error instanceof pg.DatabaseError)) broken ??= asError(error);
          throw error;
        }),
    };
    try {
      if (attempt.expired) throw attempt.expired; // it passed while we waited for the connection
      await this.control(wire, BEGIN_DURABLE);
      const result = await fn(new Sql(wire, this.prepared));
      await this.control(wire, "COMMIT");
      return result;
    } catch (error) {
      // Closing a failed connection rolls back just as well, without waiting on it; one that cannot
      // even roll back is dropped too.
      if (!(lost ?? broken ?? attempt.expired)) await wire.query({ text: "ROLLBACK" }).catch((e: unknown) => (broken ??= asError(e)));
      throw error;
    } finally {
      // After the deadline the listener stays: the connection is closing, and nobody else listens.
      if (!attempt.released) {
        attempt.released = true;
        client.off("error", onError);
        // With an error the pool drops the connection rather than hand it to the next caller.
        client.release(lost ?? broken ?? attempt.expired);
      }
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

  private async control(target: Queryable, text: string): Promise<void> {
    try {
      await target.query({ text });
    } catch (error) {
      throw fromDriver(error);
    }
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
