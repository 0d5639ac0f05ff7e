import pg from "pg";
import { describe, expect, it } from "vitest";
import { mapError } from "@/server/map-error";
import { DatabaseUnavailableError } from "@/server/db/errors";
import { SimulatedFailure } from "@/server/faults";
import { ConflictError, ContentionError, MismatchError, StoreError } from "@oncepay/idempotency";
import { problem, ProblemError, problemError } from "@/server/problem";

/** An ErrorResponse from the server, as pg builds it. */
function serverError(code: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(`server said ${code}`, 0, "error"), { code, severity: "FATAL" });
}

describe("mapError", () => {
  it("maps ConflictError to 409 with retry-after", () => {
    const mapped = mapError(new ConflictError("k-1", 7));
    expect(mapped.problem.status).toBe(409);
    expect(mapped.problem.code).toBe("idempotency_key_in_use");
    expect(mapped.problem.idempotencyKey).toBe("k-1");
    expect(mapped.headers).toEqual({ "retry-after": "7" });
    expect(mapped.outcome).toBe("conflict");
    expect(mapped.unexpected).toBe(false);
  });

  it("maps MismatchError to 422", () => {
    const mapped = mapError(new MismatchError("k-2"));
    expect(mapped.problem.status).toBe(422);
    expect(mapped.problem.code).toBe("idempotency_key_reused");
    expect(mapped.problem.idempotencyKey).toBe("k-2");
    expect(mapped.headers).toEqual({});
    expect(mapped.outcome).toBe("mismatch");
    expect(mapped.unexpected).toBe(false);
  });

  it("maps ContentionError to a retryable 503", () => {
    const mapped = mapError(new ContentionError("k-3"));
    expect(mapped.problem.status).toBe(503);
    expect(mapped.problem.code).toBe("idempotency_contention");
    expect(mapped.headers["retry-after"]).toBe("1");
  });

  it("passes a ProblemError through unchanged, with its headers", () => {
    const p = problem("validation_failed", "amount: must be at least 1", { errors: [{ path: "amount" }] });
    const mapped = mapError(new ProblemError(p, { "x-why": "because" }));
    expect(mapped.problem).toBe(p);
    expect(mapped.headers).toEqual({ "x-why": "because" });
    expect(mapped.outcome).toBe("rejected");
    expect(mapped.unexpected).toBe(false);
    expect(mapError(problemError("database_unavailable", "down")).outcome).toBe("failed");
  });

  it("maps SimulatedFailure to 503 simulated_failure", () => {
    const mapped = mapError(new SimulatedFailure());
    expect(mapped.problem.status).toBe(503);
    expect(mapped.problem.code).toBe("simulated_failure");
    expect(mapped.unexpected).toBe(false);
  });

  it.each([new Error("boom"), new TypeError("x is undefined"), "a string", null, undefined, { code: "ECONNREFUSED" }])(
    "maps an unknown error (%s) to 500 internal_error, unexpected",
    (error) => {
      const mapped = mapError(error);
      expect(mapped.problem.status).toBe(500);
      expect(mapped.problem.code).toBe("internal_error");
      expect(mapped.outcome).toBe("failed");
      expect(mapped.unexpected).toBe(true);
      expect(mapped.problem.detail).not.toContain("boom");
    },
  );

  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", errno: -111, syscall: "connect" })],
    ["a reset connection", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", errno: -104, syscall: "read" })],
    ["an admin shutdown (57P01)", serverError("57P01")],
    ["a connection exception (08006)", serverError("08006")],
    ["a driver failure already classified", new DatabaseUnavailableError(new Error("Connection terminated unexpectedly"))],
    ["a store failure over an outage", new StoreError("k-9", serverError("57P01"))],
  ])("maps %s to 503 database_unavailable with Retry-After", (_, error) => {
    const mapped = mapError(error);
    expect(mapped.problem.status).toBe(503);
    expect(mapped.problem.code).toBe("database_unavailable");
    expect(mapped.headers["retry-after"]).toMatch(/^[1-9]\d*$/);
    expect(mapped.outcome).toBe("failed");
    expect(mapped.unexpected).toBe(false);
  });

  it("finds a connection failure in the error's cause chain", () => {
    const cause = Object.assign(new Error("socket"), { code: "ECONNREFUSED", syscall: "connect" });
    expect(mapError(new Error("query failed", { cause })).problem.code).toBe("database_unavailable");
  });

  it("judges by structure, not by words: a message about connections is still a bug", () => {
    expect(mapError(new Error("Connection terminated unexpectedly")).problem.code).toBe("internal_error");
    expect(mapError(Object.assign(new Error("x"), { code: "57P01" })).problem.code).toBe("internal_error");
  });

  it("does not take a constraint violation for an outage, even inside the store's error", () => {
    expect(mapError(serverError("23505")).problem.code).toBe("internal_error");
    // A server error decides for the whole chain, whatever lies under it.
    expect(mapError(new Error("insert failed", { cause: serverError("23505") })).problem.code).toBe("internal_error");
    expect(mapError(new StoreError("k-9", serverError("42601")))).toMatchObject({ problem: { code: "internal_error" }, unexpected: true });
  });
});
