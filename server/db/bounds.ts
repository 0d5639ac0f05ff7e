import type pg from "pg";

/**
 * How long the app waits on the database, at most. A hung PostgreSQL (stopped, or partitioned away
 * without a reset) accepts connections and statements and answers nothing, so every wait has a
 * bound of its own: with the defaults a request that meets a frozen database is answered `503`
 * within about 3.5 s (docs/database.md, "A hung PostgreSQL", has the arithmetic and the measures).
 */
export interface DatabaseBounds {
  /** A connection from the pool: waiting for a free one, or opening a new one. */
  connectMs: number;
  /** One statement: the server's `statement_timeout`; the client gives up `STATEMENT_MARGIN_MS` later on a server that says nothing. */
  statementMs: number;
  /** One transaction, from asking for its connection to its COMMIT or ROLLBACK (`SqlPool.transaction`). */
  transactionMs: number;
}

export const DEFAULT_BOUNDS: DatabaseBounds = { connectMs: 2_000, statementMs: 2_000, transactionMs: 3_000 };

/**
 * How much longer than the server's statement_timeout the client waits. A server that answers
 * cancels the statement itself and keeps the connection; the client's own timer is for one that
 * does not answer at all, and a connection it fires on is dropped.
 */
export const STATEMENT_MARGIN_MS = 500;

/** After this long without traffic the kernel probes the connection: a peer that vanished (not one that hangs) is found. */
const KEEPALIVE_AFTER_MS = 10_000;

/**
 * The pool's options for `bounds`. `serverTimeouts` only for real PostgreSQL: PGlite accepts the
 * settings and never enforces them (no timers in WebAssembly), so the embedded database has only
 * the client's bounds.
 */
export function poolBounds(bounds: DatabaseBounds, serverTimeouts: boolean): pg.PoolConfig {
  return {
    connectionTimeoutMillis: bounds.connectMs,
    query_timeout: bounds.statementMs + STATEMENT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_AFTER_MS,
    // Sent in the startup packet: the server rolls back a transaction whose client went quiet, and
    // cancels a statement that runs too long, before the client's own timers fire.
    ...(serverTimeouts ? { statement_timeout: bounds.statementMs, idle_in_transaction_session_timeout: bounds.transactionMs } : {}),
  };
}
