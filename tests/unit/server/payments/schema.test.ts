import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CURRENCIES, createPaymentInput, MAX_AMOUNT } from "@/server/payments/schema";

const ALLOWED_KEYS = new Set(["amount", "currency", "description", "customer"]);

/** The contract, checked independently of the schema, on the raw input that was accepted. */
function satisfiesContract(raw: unknown): boolean {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return false;
  const input = raw as Record<string, unknown>;
  if (Object.keys(input).some((k) => !ALLOWED_KEYS.has(k))) return false;
  const { amount, currency, description, customer } = input;
  // Single-line text: no C0 control character (NUL included), no DEL.
  const text = (v: unknown, max: number) => v === undefined || v === null || (typeof v === "string" && v.length <= max && !/[\x00-\x1f\x7f]/.test(v)); // eslint-disable-line no-control-regex
  return (
    typeof amount === "number" &&
    Number.isInteger(amount) &&
    amount >= 1 &&
    amount <= MAX_AMOUNT &&
    (CURRENCIES as readonly unknown[]).includes(currency) &&
    text(description, 500) &&
    text(customer, 255)
  );
}

/** Inputs near the contract, so that both sides of every rule get exercised. */
const nearlyValid = fc.record(
  {
    amount: fc.oneof(fc.integer({ min: 1, max: MAX_AMOUNT }), fc.constantFrom(0, -1, MAX_AMOUNT + 1, 1.5, Number.MAX_SAFE_INTEGER, "100", null), fc.double()),
    currency: fc.oneof(fc.constantFrom(...CURRENCIES), fc.constantFrom("USD", "chf", "", null, 1)),
    description: fc.oneof(
      fc.string({ maxLength: 500 }),
      fc.constant(null),
      fc.string({ minLength: 501, maxLength: 520 }),
      fc.integer(),
      fc.string({ unit: "binary", maxLength: 20 }),
    ),
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

  it("refuses control characters in text, NUL, tab, newlines and DEL included, and keeps the rest of Unicode", () => {
    const ok = (raw: unknown) => createPaymentInput.safeParse(raw).success;
    for (const c of ["\u0000", "\t", "\n", "\r", "\u001b", "\u001f", "\u007f"]) {
      expect(ok({ amount: 100, currency: "usd", description: `a${c}b` }), JSON.stringify(c)).toBe(false);
      expect(ok({ amount: 100, currency: "usd", customer: c }), JSON.stringify(c)).toBe(false);
    }
    expect(ok({ amount: 100, currency: "usd", description: "Café ☕ — 2× 𝄞", customer: "Zoë O'Brien" })).toBe(true);
  });
});
