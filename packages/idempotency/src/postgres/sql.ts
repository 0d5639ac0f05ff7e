/**
 * What the PostgreSQL store needs of a SQL client, and nothing more: the store is written against
 * this port, so the engine never imports a driver or the app's database module.
 */

/** A named statement: a runner may prepare it once per connection and then only bind and run it. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text };
}

export interface SqlRunner {
  rows<R>(statement: Statement, values?: unknown[]): Promise<R[]>;
  /** The number of rows a write touched. */
  count(statement: Statement, values?: unknown[]): Promise<number>;
}

export interface SqlTransactor<Tx extends SqlRunner> extends SqlRunner {
  /** BEGIN, `fn` on one connection, COMMIT; ROLLBACK if anything throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}
