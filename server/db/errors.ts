import pg from "pg";

/**
 * The database could not be reached or refused work for the moment (shut down, restarting, out of
 * connections). Nothing the request did was wrong: the same request may succeed later, so callers
 * answer 503 rather than 500. `cause` keeps what the driver actually said.
 */
export class DatabaseUnavailableError extends Error {
  /** What a client is told to wait: a PostgreSQL restart takes about a second. */
  static readonly retryAfterSeconds = 2;

  constructor(cause: unknown) {
    super(cause instanceof Error ? `database unavailable: ${cause.message}` : "database unavailable", { cause });
    this.name = "DatabaseUnavailableError";
  }
}

/** A transaction still unfinished at its deadline (`SqlPool.transaction`): the cause of the DatabaseUnavailableError its caller gets. */
export class TransactionDeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`transaction unfinished after ${ms} ms`);
    this.name = "TransactionDeadlineError";
  }
}

/**
 * SQLSTATEs that say "not now" rather than "wrong": class 08 (connection exception), 53
 * (insufficient resources: too many connections, disk full, out of memory), the three 57P0x
 * shutdown states (admin shutdown, crash shutdown, cannot connect now), and our own bounds as the
 * server enforces them: 57014 (statement_timeout, or a cancel) and 25P03
 * (idle_in_transaction_session_timeout). Every other SQLSTATE is a bug or a constraint doing its
 * job, and must not be retried as if it were an outage.
 */
export function isUnavailableSqlState(code: string | undefined): boolean {
  if (!code) return false;
  return code.startsWith("08") || code.startsWith("53") || ["57P01", "57P02", "57P03", "57014", "25P03"].includes(code);
}

/** Node's errno codes for a peer that is gone, refuses, or cannot be found. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
]);

function isSocketError(error: Error): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof code === "string" && typeof syscall === "string" && SOCKET_CODES.has(code);
}

/**
 * Whether `error` (or what caused it) means the database is unavailable, judged from structured
 * fields only: our own wrapper, a server error's SQLSTATE, a socket's errno code. A server error
 * decides for the whole chain: a constraint violation caused by nothing else is never an outage.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    if (e instanceof pg.DatabaseError) return isUnavailableSqlState(e.code);
    if (isSocketError(e)) return true;
  }
  return false;
}

/**
 * An error thrown by a call into the `pg` driver, as the caller should see it. A server error
 * keeps its SQLSTATE's verdict. Anything else the driver raises (connection terminated, not
 * queryable, pool connect timeout, socket errors) means the connection failed, with two
 * exceptions: TypeError and RangeError are raised for values or configuration we passed in, bugs
 * to be answered as such. Only call this where the error can only have come from the driver.
 */
export function fromDriver(error: unknown): Error {
  if (error instanceof DatabaseUnavailableError) return error;
  if (error instanceof pg.DatabaseError) return isUnavailableSqlState(error.code) ? new DatabaseUnavailableError(error) : error;
  if (error instanceof TypeError || error instanceof RangeError) return error;
  return new DatabaseUnavailableError(error);
}
