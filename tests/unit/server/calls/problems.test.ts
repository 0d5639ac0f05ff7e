import { describe, expect, it } from "vitest";
import { SimulatedFailure } from "@/server/faults";
import { mapError } from "@/server/calls/problems";
import { ConflictError, ContentionError, MismatchError } from "@/server/idempotency/errors";
import { problem, ProblemError } from "@/server/problem";

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
    expect(mapError(ProblemError.of("database_unavailable", "down")).outcome).toBe("failed");
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

  it.each(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "08006", "P1001", "P2024"])(
    "maps a connection failure with code %s to 503 database_unavailable",
    (code) => {
      const mapped = mapError(Object.assign(new Error("connect failed"), { code }));
      expect(mapped.problem.status).toBe(503);
      expect(mapped.problem.code).toBe("database_unavailable");
      expect(mapped.outcome).toBe("failed");
      expect(mapped.unexpected).toBe(false);
    },
  );

  it("finds a connection failure in the error's cause chain", () => {
    const cause = Object.assign(new Error("socket"), { code: "ECONNREFUSED" });
    expect(mapError(new Error("query failed", { cause })).problem.code).toBe("database_unavailable");
  });

  it("does not take a constraint violation for an outage", () => {
    const mapped = mapError(Object.assign(new Error("unique violation"), { code: "23505" }));
    expect(mapped.problem.code).toBe("internal_error");
  });
});
