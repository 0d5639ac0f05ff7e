import { Prisma } from "./generated/client";
import { DatabaseUnavailableError, isUnavailableSqlState } from "./errors";

/**
 * Prisma's codes for "cannot reach or keep a connection" (P1001 not reachable, P1002 timed out,
 * P1008 operation timed out, P1017 connection closed, P2024 pool timeout, P2037 too many connections).
 */
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);

/** The driver adapter's error kinds for the same, before Prisma turns them into codes. */
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

interface AdapterCause {
  kind?: unknown;
  code?: unknown;
}

/**
 * Whether a Prisma error means the database is unavailable, from Prisma's structured fields only:
 * its error code, or the driver adapter's error kind and SQLSTATE (a raw query killed by a
 * shutdown is P2010 with the server's 57P01 underneath). Prisma serves the dashboard and seeding;
 * the request path uses `sql`, whose errors need none of this.
 */
export function isPrismaUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return UNAVAILABLE_CODES.has(error.errorCode ?? "");
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (UNAVAILABLE_CODES.has(error.code)) return true;
  const adapterError = (error.meta as { driverAdapterError?: { cause?: AdapterCause } } | undefined)?.driverAdapterError;
  const cause = adapterError?.cause;
  if (!cause) return false;
  if (typeof cause.kind === "string" && UNAVAILABLE_KINDS.has(cause.kind)) return true;
  return cause.kind === "postgres" && typeof cause.code === "string" && isUnavailableSqlState(cause.code);
}

/** A Prisma call's error as the rest of the app expects it: an outage becomes DatabaseUnavailableError. */
export function fromPrisma(error: unknown): unknown {
  return isPrismaUnavailable(error) ? new DatabaseUnavailableError(error) : error;
}
