import pg from "pg";
import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError, fromDriver, isDatabaseUnavailable, isUnavailableSqlState } from "@/server/db/errors";
import { Prisma } from "@/server/db/generated/client";
import { fromPrisma, isPrismaUnavailable } from "@/server/db/prisma-errors";

function serverError(code: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(`server said ${code}`, 0, "error"), { code });
}

function prismaError(code: string, cause?: Record<string, unknown>) {
  const meta = cause ? { driverAdapterError: { name: "DriverAdapterError", cause } } : undefined;
  return new Prisma.PrismaClientKnownRequestError("failed", { code, clientVersion: Prisma.prismaVersion.client, meta });
}

describe("SQLSTATEs", () => {
  // 57014 and 25P03: the server enforcing our statement and idle-transaction bounds (server/db/bounds.ts).
  it.each(["08000", "08003", "08006", "08P01", "53300", "53100", "57P01", "57P02", "57P03", "57014", "25P03"])("%s is an outage", (code) => {
    expect(isUnavailableSqlState(code)).toBe(true);
  });

  it.each(["23505", "23503", "40001", "40P01", "42P01", "22001", "XX000", undefined])("%s is not", (code) => {
    expect(isUnavailableSqlState(code)).toBe(false);
  });
});

describe("fromDriver: an error thrown by a pg call", () => {
  it("wraps what the driver raises about a dead connection, keeping it as the cause", () => {
    for (const raised of [
      new Error("Connection terminated unexpectedly"),
      new Error("Client has encountered a connection error and is not queryable"),
      new Error("timeout exceeded when trying to connect"),
      new Error("Query read timeout"),
      new Error("Connection terminated due to connection timeout"),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED", errno: -111, syscall: "connect" }),
      serverError("57P01"),
    ]) {
      const seen = fromDriver(raised);
      expect(seen).toBeInstanceOf(DatabaseUnavailableError);
      expect(seen.cause).toBe(raised);
    }
  });

  it("passes server errors that are not outages, and our own bugs, through unchanged", () => {
    for (const raised of [serverError("23505"), serverError("40001"), new TypeError("Do not know how to serialize a BigInt")]) {
      expect(fromDriver(raised)).toBe(raised);
    }
  });

  it("does not wrap twice", () => {
    const once = new DatabaseUnavailableError(new Error("gone"));
    expect(fromDriver(once)).toBe(once);
  });
});

describe("isDatabaseUnavailable: any error, judged by structure", () => {
  it("needs a socket error to look like one (code and syscall), not a bare code", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code: "ECONNRESET", syscall: "read" }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(false);
  });

  it("never reads messages", () => {
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(false);
    expect(isDatabaseUnavailable(new Error("Can't reach database server"))).toBe(false);
  });
});

describe("Prisma errors, by code and adapter kind", () => {
  it.each([
    ["P1001 (not reachable)", prismaError("P1001", { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 })],
    ["P1017 (connection closed)", prismaError("P1017", { kind: "ConnectionClosed" })],
    ["P2024 (pool timeout)", prismaError("P2024")],
    ["a raw query killed by a shutdown (P2010 over 57P01)", prismaError("P2010", { kind: "postgres", code: "57P01", originalCode: "57P01" })],
    ["an adapter timeout under an unrelated code", prismaError("P2036", { kind: "SocketTimeout" })],
  ])("%s is an outage", (_, error) => {
    expect(isPrismaUnavailable(error)).toBe(true);
    expect(fromPrisma(error)).toBeInstanceOf(DatabaseUnavailableError);
  });

  it("an initialization error is judged by its code", () => {
    const version = Prisma.prismaVersion.client;
    expect(isPrismaUnavailable(new Prisma.PrismaClientInitializationError("no", version, "P1001"))).toBe(true);
    expect(isPrismaUnavailable(new Prisma.PrismaClientInitializationError("no", version, "P1000"))).toBe(false);
  });

  it.each([
    ["a unique violation", prismaError("P2002", { kind: "UniqueConstraintViolation" })],
    ["a raw query's syntax error", prismaError("P2010", { kind: "postgres", code: "42601" })],
    ["a missing record", prismaError("P2025")],
  ])("%s is not", (_, error) => {
    expect(isPrismaUnavailable(error)).toBe(false);
    expect(fromPrisma(error)).toBe(error);
  });
});
