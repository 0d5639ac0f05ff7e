import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { createPaymentInput } from "@/server/payments/schema";
import { newKey } from "@/fixtures";
import { apiClient } from "@/tests/support/api";

// Arbitrary bodies over real HTTP: never a 5xx, and a refused body never saves anything under its key.
describe("bad bodies, generated", () => {
  const api = apiClient(inject("servers").postgres);

  const nearlyValid = fc.record(
    {
      amount: fc.oneof(fc.integer({ min: -10, max: 100_000_010 }), fc.double(), fc.string(), fc.constant(null)),
      currency: fc.oneof(fc.constantFrom("usd", "eur", "gbp", "jpy", "USD", "btc", ""), fc.string()),
      description: fc.oneof(fc.string({ maxLength: 600 }), fc.constant(null), fc.integer()),
      customer: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(null)),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    nearlyValid.map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string(), // mostly not JSON at all
  );

  it("answers 201 or a 4xx problem, and a refused key stays free", async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (raw) => {
        const key = newKey();
        const res = await api.pay(raw, { key });
        expect(res.status).toBeLessThan(500);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          parsed = undefined;
        }
        const valid = parsed === undefined ? null : createPaymentInput.safeParse(parsed);
        if (valid?.success) {
          expect(res.status).toBe(valid.data.customer === "cus_declined" ? 402 : 201);
          return;
        }
        expect(res.status).toBe(400);
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        const retry = await api.pay({ amount: 1, currency: "usd" }, { key });
        expect(retry.status).toBe(201);
        expect(retry.headers.get("idempotent-replayed")).toBeNull();
      }),
      { numRuns: 150 },
    );
  });
});
