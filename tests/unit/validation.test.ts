import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_DELAY_MS, parseFault, SimulatedFailure } from "@/server/faults";
import pg from "pg";
import { mapError } from "@/server/calls/problems";
import { DatabaseUnavailableError } from "@/server/db/errors";
import { ConflictError, ContentionError, MismatchError } from "@/server/idempotency/errors";
import { CURRENCIES, createPaymentInput, MAX_AMOUNT } from "@/server/payments/schema";
import { problem, ProblemError } from "@/server/problem";

/** An ErrorResponse from the server, as pg builds it. */
function serverError(code: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(`server said ${code}`, 0, "error"), { code, severity: "FATAL" });
}

const ALLOWED_KEYS = new Set(["amount", "currency", "description", "customer"]);

/** The contract, checked independently of the schema, on the raw input that was accepted. */
function satisfiesContract(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return false;
  const input = raw as Record<string, unknown>;
  if (Object.keys(input).some((k) => !ALLOWED_KEYS.has(k))) return false;
  const { amount, currency, description, customer } = input;
  const text = (v: unknown, max: number) => v === undefined || v === null || (typeof v === "string" && v.length <= max);
  return (
    typeof amount === "number" && Number.isInteger(amount) && amount >= 1 && amount <= MAX_AMOUNT &&
    (CURRENCIES as readonly unknown[]).includes(currency) &&
    text(description, 500) && text(customer, 255)
  );
}

/** Inputs near the contract, so that both sides of every rule get exercised. */
const nearlyValid = fc.record(
  {
    amount: fc.oneof(
      fc.integer({ min: 1, max: MAX_AMOUNT }),
      fc.constantFrom(0, -1, MAX_AMOUNT + 1, 1.5, Number.MAX_SAFE_INTEGER, "100", null),
      fc.double(),
    ),
    currency: fc.oneof(fc.constantFrom(...CURRENCIES), fc.constantFrom("USD", "chf", "", null, 1)),
    description: fc.oneof(fc.string({ maxLength: 500 }), fc.constant(null), fc.string({ minLength: 501, maxLength: 520 }), fc.integer()),
    customer: fc.oneof(fc.string({ maxLength: 255 }), fc.constant(null), fc.string({ minLength: 256, maxLength: 270 })),
    metadata: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe("createPaymentInput", () => {
  it("never throws on arbitrary input, and whatever it accepts meets the contract", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), nearlyValid), (raw) => {
        let result: ReturnType<typeof createPaymentInput.safeParse> | undefined;
        expect(() => (result = createPaymentInput.safeParse(raw))).not.toThrow();
        expect(result?.success).toBe(satisfiesContract(raw));
        if (result?.success) {
          const out = result.data;
          expect(Object.keys(out).every((k) => ALLOWED_KEYS.has(k))).toBe(true);
          expect(Number.isInteger(out.amount) && out.amount >= 1 && out.amount <= MAX_AMOUNT).toBe(true);
          expect(CURRENCIES).toContain(out.currency);
          expect((out.description ?? "").length).toBeLessThanOrEqual(500);
          expect((out.customer ?? "").length).toBeLessThanOrEqual(255);
          expect(out.description).not.toBeNull();
          expect(out.customer).not.toBeNull();
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts the boundaries and refuses one past them", () => {
    const ok = (raw: unknown) => createPaymentInput.safeParse(raw).success;
    expect(ok({ amount: 1, currency: "jpy" })).toBe(true);
    expect(ok({ amount: MAX_AMOUNT, currency: "gbp", description: "d".repeat(500), customer: "c".repeat(255) })).toBe(true);
    expect(ok({ amount: 0, currency: "usd" })).toBe(false);
    expect(ok({ amount: MAX_AMOUNT + 1, currency: "usd" })).toBe(false);
    expect(ok({ amount: 10.5, currency: "usd" })).toBe(false);
    expect(ok({ amount: "100", currency: "usd" })).toBe(false);
    expect(ok({ amount: 100, currency: "USD" })).toBe(false);
    expect(ok({ amount: 100 })).toBe(false);
    expect(ok({ amount: 100, currency: "usd", description: "d".repeat(501) })).toBe(false);
    expect(ok({ amount: 100, currency: "usd", customer: "c".repeat(256) })).toBe(false);
    expect(ok({ amount: 100, currency: "usd", extra: true })).toBe(false);
  });
});

describe("parseFault", () => {
  it("ignores the header when fault injection is disabled, even if it is garbage", () => {
    expect(parseFault("lost-response", false)).toBeNull();
    expect(parseFault("delay=99999999", false)).toBeNull();
    expect(parseFault("nonsense", false)).toBeNull();
  });

  it("ignores a missing or blank header", () => {
    expect(parseFault(null, true)).toBeNull();
    expect(parseFault("", true)).toBeNull();
    expect(parseFault("   ", true)).toBeNull();
  });

  it.each([
    ["lost-response", { mode: "lost-response" }],
    ["fail-before-commit", { mode: "fail-before-commit" }],
    ["  Lost-Response ", { mode: "lost-response" }],
    ["FAIL-BEFORE-COMMIT", { mode: "fail-before-commit" }],
    ["delay=0", { mode: "delay", ms: 0 }],
    ["delay=250", { mode: "delay", ms: 250 }],
    [`delay=${MAX_DELAY_MS}`, { mode: "delay", ms: MAX_DELAY_MS }],
  ])("parses %j", (header, fault) => {
    expect(parseFault(header, true)).toEqual(fault);
  });

  it("parses every delay up to the maximum", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DELAY_MS }), (ms) => {
        expect(parseFault(`delay=${ms}`, true)).toEqual({ mode: "delay", ms });
      }),
    );
  });

  const invalid = [
    `delay=${MAX_DELAY_MS + 1}`,
    "delay=999999",
    "delay=1000000",
    "delay=-5",
    "delay=1.5",
    "delay=",
    "delay",
    "delay = 10",
    "lost-response,delay=10",
    "explode",
  ];

  it.each(invalid)("refuses %j with a 400 invalid_fault problem", (header) => {
    const error = (() => {
      try {
        parseFault(header, true);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProblemError);
    const { problem: p } = error as ProblemError;
    expect(p.status).toBe(400);
    expect(p.code).toBe("invalid_fault");
  });

  it("either parses or refuses with a 400 for any header text", () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        try {
          const fault = parseFault(header, true);
          if (fault !== null) expect(["lost-response", "fail-before-commit", "delay"]).toContain(fault.mode);
          else expect(header.trim()).toBe("");
        } catch (e) {
          expect(e).toBeInstanceOf(ProblemError);
          expect((e as ProblemError).problem.status).toBe(400);
        }
      }),
    );
  });
});

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

  it.each([
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", errno: -111, syscall: "connect" })],
    ["a reset connection", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", errno: -104, syscall: "read" })],
    ["an admin shutdown (57P01)", serverError("57P01")],
    ["a connection exception (08006)", serverError("08006")],
    ["a driver failure already classified", new DatabaseUnavailableError(new Error("Connection terminated unexpectedly"))],
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

  it("does not take a constraint violation for an outage", () => {
    expect(mapError(serverError("23505")).problem.code).toBe("internal_error");
    // A server error decides for the whole chain, whatever lies under it.
    expect(mapError(new Error("insert failed", { cause: serverError("23505") })).problem.code).toBe("internal_error");
  });
});
