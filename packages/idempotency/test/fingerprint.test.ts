import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprint } from "@oncepay/idempotency";
import { z } from "zod";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Rebuild `value` with every object's keys in an order chosen by `order` (deep). */
function reorder(value: Json, order: (keys: string[]) => string[]): Json {
  if (Array.isArray(value)) return value.map((v) => reorder(v, order));
  if (value === null || typeof value !== "object") return value;
  // Object.fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return Object.fromEntries(order(Object.keys(value)).map((k) => [k, reorder(value[k] as Json, order)]));
}

/** An independent canonical form (sorted keys, JSON.stringify) to tell values apart. */
function sortedJson(value: Json): string {
  return JSON.stringify(reorder(value, (keys) => [...keys].sort()));
}

const json = fc.jsonValue() as fc.Arbitrary<Json>;

/** A permutation driven by fast-check: each key gets a random rank. */
const shuffler = fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })).map((ranks) => (keys: string[]) => {
  const it = ranks[Symbol.iterator]();
  return keys
    .map((k) => ({ k, r: it.next().value as number }))
    .sort((a, b) => a.r - b.r)
    .map(({ k }) => k);
});

describe("fingerprint", () => {
  it("is 64 lowercase hex characters", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(fingerprint(value)).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });

  it("is the SHA-256 of the RFC 8785 canonical form", () => {
    const canonical = '{"a":1,"b":[true,null,"x"],"c":{"d":"é","e":1e+21}}';
    expect(fingerprint({ c: { e: 1e21, d: "é" }, b: [true, null, "x"], a: 1.0 })).toBe(createHash("sha256").update(canonical, "utf8").digest("hex"));
  });

  it("does not depend on key order, at any depth", () => {
    fc.assert(
      fc.property(json, shuffler, (value, order) => {
        expect(fingerprint(reorder(value, order))).toBe(fingerprint(value));
        expect(fingerprint(reorder(value, (keys) => [...keys].reverse()))).toBe(fingerprint(value));
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on JSON whitespace", () => {
    fc.assert(
      fc.property(json, fc.constantFrom(1, 2, 4, "\t", " \n "), (value, indent) => {
        const compact = JSON.parse(JSON.stringify(value)) as unknown;
        const pretty = JSON.parse(JSON.stringify(value, null, indent)) as unknown;
        expect(fingerprint(pretty)).toBe(fingerprint(compact));
      }),
    );
  });

  it("does not depend on how strings were escaped in the JSON text", () => {
    const escaped = JSON.parse('{"name":"Caf\\u00e9","emoji":"\\ud83d\\ude00","slash":"a\\/b"}') as unknown;
    const literal = JSON.parse('{"name":"Café","emoji":"😀","slash":"a/b"}') as unknown;
    expect(fingerprint(escaped)).toBe(fingerprint(literal));

    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const asciiEscaped = JSON.stringify(s).replace(/[^\x20-\x7e]/gu, (c) =>
          [...c]
            .map((ch) => {
              const code = ch.codePointAt(0) ?? 0;
              return code > 0xffff
                ? ch
                    .split("")
                    .map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`)
                    .join("")
                : `\\u${code.toString(16).padStart(4, "0")}`;
            })
            .join(""),
        );
        expect(fingerprint({ s: JSON.parse(asciiEscaped) as unknown })).toBe(fingerprint({ s }));
      }),
    );
  });

  it("tells different values apart", () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        fc.pre(sortedJson(a) !== sortedJson(b));
        expect(fingerprint(a)).not.toBe(fingerprint(b));
      }),
      { numRuns: 300 },
    );
    expect(fingerprint({ amount: 100 })).not.toBe(fingerprint({ amount: 1000 }));
    expect(fingerprint({ amount: 100 })).not.toBe(fingerprint({ amount: "100" }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
    expect(fingerprint({ a: null })).not.toBe(fingerprint({}));
  });

  it("refuses input with no JSON form", () => {
    expect(() => fingerprint(undefined)).toThrow(TypeError);
  });

  describe("of validated input", () => {
    const CURRENCIES = ["usd", "eur", "gbp", "jpy"] as const;
    // A schema that takes null for absent, as many do: the fingerprint covers what it gives.
    const createPaymentInput = z.object({
      amount: z.number().int().min(1),
      currency: z.enum(CURRENCIES),
      description: z
        .string()
        .max(500)
        .nullish()
        .transform((v) => v ?? undefined),
      customer: z
        .string()
        .max(255)
        .nullish()
        .transform((v) => v ?? undefined),
    });
    const payment = fc.record(
      {
        amount: fc.integer({ min: 1, max: 99_999_999 }),
        currency: fc.constantFrom(...CURRENCIES),
        description: fc.string({ maxLength: 500 }),
        customer: fc.string({ maxLength: 255 }),
      },
      { requiredKeys: ["amount", "currency"] },
    );
    const print = (raw: unknown) => fingerprint(createPaymentInput.parse(raw));

    it("is the same whatever the key order", () => {
      expect(print({ amount: 1000, currency: "usd" })).toBe(print({ currency: "usd", amount: 1000 }));
      fc.assert(
        fc.property(payment, shuffler, (p, order) => {
          expect(print(reorder(p, order))).toBe(print(p));
        }),
      );
    });

    it("treats an explicit null like an absent field", () => {
      expect(print({ amount: 1000, currency: "usd", description: null })).toBe(print({ amount: 1000, currency: "usd" }));
      expect(print({ amount: 1000, currency: "usd", description: null, customer: null })).toBe(print({ amount: 1000, currency: "usd" }));
      fc.assert(
        fc.property(payment, (p) => {
          const { description: _d, customer: _c, ...required } = p;
          expect(print({ ...required, description: null, customer: null })).toBe(print(required));
        }),
      );
    });

    it("changes when the payment changes", () => {
      expect(print({ amount: 1000, currency: "usd" })).not.toBe(print({ amount: 1000, currency: "eur" }));
      expect(print({ amount: 1000, currency: "usd" })).not.toBe(print({ amount: 1001, currency: "usd" }));
      expect(print({ amount: 1000, currency: "usd", description: "" })).not.toBe(print({ amount: 1000, currency: "usd" }));
    });
  });
});
