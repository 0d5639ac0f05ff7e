import pg from "pg";
import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError, fromDriver, isDatabaseUnavailable, isUnavailableSqlState } from "@/server/db/errors";

function serverError(code: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(`server said ${code}`, 0, "error"), { code });
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
