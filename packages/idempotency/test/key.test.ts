import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { idempotencyKeySchema, MAX_KEY_LENGTH } from "@oncepay/idempotency";

const visible = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
const validKey = fc.string({ unit: visible, minLength: 1, maxLength: MAX_KEY_LENGTH });

/** Characters outside 0x21-0x7E: controls, space, DEL, Latin-1, other BMP, astral (emoji). */
const invalidChar = fc.oneof(
  fc.integer({ min: 0x00, max: 0x20 }).map((c) => String.fromCharCode(c)),
  fc.constant("\x7f"),
  fc
    .integer({ min: 0x80, max: 0xffff })
    .filter((c) => c < 0xd800 || c > 0xdfff)
    .map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  fc.constantFrom(" ", "\t", "\n", "\r", "é", "€", "\u00a0", "\u200b", "😀", "\u{1F4B3}"),
);

const accepts = (key: unknown) => idempotencyKeySchema.safeParse(key).success;

describe("idempotencyKeySchema", () => {
  it("accepts every string of 1..255 visible ASCII characters, unchanged", () => {
    fc.assert(
      fc.property(validKey, (key) => {
        const parsed = idempotencyKeySchema.safeParse(key);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toBe(key);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects any key that holds a character outside 0x21-0x7E, wherever it is", () => {
    fc.assert(
      fc.property(fc.string({ unit: visible, maxLength: 120 }), invalidChar, fc.string({ unit: visible, maxLength: 120 }), (before, bad, after) => {
        expect(accepts(before + bad + after)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects keys longer than 255 characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: visible, minLength: MAX_KEY_LENGTH + 1, maxLength: 600 }), (key) => {
        expect(accepts(key)).toBe(false);
      }),
    );
  });

  it("rejects non-strings", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== "string"),
        (value) => {
          expect(accepts(value)).toBe(false);
        },
      ),
    );
  });

  it.each([
    ["a UUID", "5f0c8a2e-3b1d-4c7e-9a6f-2d8b1e4c7a90", true],
    ["a single visible character", "!", true],
    ["the tilde boundary", "~~~", true],
    ["255 characters", "k".repeat(255), true],
    ["255 mixed characters", "!~".repeat(127) + "x", true],
    ["256 characters", "k".repeat(256), false],
    ["the empty string", "", false],
    ["a space", "order 42", false],
    ["a leading space (not trimmed)", " order-42", false],
    ["a trailing newline", "order-42\n", false],
    ["a tab", "order\t42", false],
    ["DEL", "order\x7f42", false],
    ["NUL", "order\x0042", false],
    ["non-ASCII", "commande-é", false],
    ["an emoji", "pay-😀", false],
  ])("%s", (_name, key, ok) => {
    expect(accepts(key)).toBe(ok);
  });
});
