import fc from "fast-check";
import { serializeString } from "structured-headers";
import { describe, expect, it } from "vitest";
import { idempotencyKeyFromHeader, MAX_KEY_LENGTH, ProblemError } from "@oncepay/idempotency";

const visible = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
const validKey = fc.string({ unit: visible, minLength: 1, maxLength: MAX_KEY_LENGTH });
/** Stripe's form as a client would send it: a valid key that does not open like an RFC 8941 String. */
const bareKey = validKey.filter((key) => !key.startsWith('"'));

/** The problem the header value is refused with; fails the test when it is accepted. */
function refusal(raw: string | null): { code: string; status: number; detail: string } {
  try {
    const key = idempotencyKeyFromHeader(raw);
    throw new Error(`accepted ${JSON.stringify(raw)} as the key ${JSON.stringify(key)}`);
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    return { code: error.problem.code, status: error.problem.status, detail: error.problem.detail };
  }
}

function expectInvalid(raw: string, detail?: RegExp): void {
  const problem = refusal(raw);
  expect(problem).toMatchObject({ code: "idempotency_key_invalid", status: 400 });
  if (detail) expect(problem.detail).toMatch(detail);
}

describe("idempotencyKeyFromHeader", () => {
  it("no header: 400 idempotency_key_missing", () => {
    expect(refusal(null)).toMatchObject({ code: "idempotency_key_missing", status: 400 });
  });

  describe("the draft's RFC 8941 String and Stripe's bare form are one key", () => {
    it.each([
      ["abc-1", '"abc-1"'],
      ["5f0c8a2e-3b1d-4c7e-9a6f-2d8b1e4c7a90", '"5f0c8a2e-3b1d-4c7e-9a6f-2d8b1e4c7a90"'],
      ["!", '"!"'],
      ["~~~", '"~~~"'],
    ])("%s", (bare, quoted) => {
      expect(idempotencyKeyFromHeader(bare)).toBe(bare);
      expect(idempotencyKeyFromHeader(quoted)).toBe(bare);
    });

    it('escapes inside the String: \\" is a quote, \\\\ a backslash', () => {
      expect(idempotencyKeyFromHeader(String.raw`"a\"b"`)).toBe('a"b');
      expect(idempotencyKeyFromHeader(String.raw`"a\\b"`)).toBe("a\\b");
      expect(idempotencyKeyFromHeader(String.raw`"\"\\\""`)).toBe('"\\"');
      // The bare spelling of the same key: the characters as they are.
      expect(idempotencyKeyFromHeader('a"b')).toBe('a"b');
      expect(idempotencyKeyFromHeader("a\\b")).toBe("a\\b");
    });

    it("the length limit applies to the content, not to the quotes", () => {
      const key = "k".repeat(MAX_KEY_LENGTH);
      expect(idempotencyKeyFromHeader(`"${key}"`)).toBe(key);
      expectInvalid(`"${key}k"`, /at most 255/);
    });

    it("whitespace around the value, as HTTP allows, is not part of it", () => {
      for (const raw of [' "abc-1"', '"abc-1" ', '\t"abc-1"\t', '  \t"abc-1" \t ', " abc-1", "abc-1\t"]) {
        expect(idempotencyKeyFromHeader(raw)).toBe("abc-1");
      }
    });

    it("for every valid key, its String serialization (the library's) reads back as that key", () => {
      fc.assert(
        fc.property(validKey, (key) => {
          expect(idempotencyKeyFromHeader(serializeString(key))).toBe(key);
        }),
        { numRuns: 1000 },
      );
    });

    it("every bare key is taken as is", () => {
      fc.assert(
        fc.property(bareKey, (key) => {
          expect(idempotencyKeyFromHeader(key)).toBe(key);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("bare keys are not structured fields", () => {
    it.each([
      ["a semicolon (an sf parameter)", "order;v=2"],
      ["a comma without a space (an sf list)", "a,b"],
      ["colons and slashes (a URN, a path)", "urn:oncepay:order/42"],
      ["an sf byte-sequence look-alike", ":YWJj:"],
      ["an sf inner-list look-alike", "(a)"],
      ["an sf boolean look-alike", "?1"],
      ["an sf date look-alike", "@1700000000"],
      ["an sf display-string look-alike", '%"abc"'],
      ["a token that starts with *", "*tok"],
      ["a quote that does not open the value", 'abc"'],
      ["a trailing comma", "abc,"],
    ])("%s", (_what, key) => {
      expect(idempotencyKeyFromHeader(key)).toBe(key);
    });
  });

  describe("a malformed String is a 400", () => {
    it.each([
      ["an unbalanced quote", '"abc-1', /not a well-formed RFC 8941 String/],
      ["only a quote", '"', /not a well-formed RFC 8941 String/],
      ["a dangling backslash", '"abc\\', /not a well-formed RFC 8941 String/],
      ["a bad escape", String.raw`"a\nb"`, /backslash/],
      ["an escaped closing quote", String.raw`"abc\"`, /not a well-formed RFC 8941 String/],
      ["trailing garbage", '"abc"x', /not a well-formed RFC 8941 String/],
      ["trailing garbage after a space", '"abc" x', /not a well-formed RFC 8941 String/],
      ["a second String", '"abc""def"', /not a well-formed RFC 8941 String/],
      ["a comma without a space after it", '"abc",x', /not a well-formed RFC 8941 String/],
      ["a parameter", '"abc";v=2', /without parameters/],
      ["a boolean parameter", '"abc";x', /without parameters/],
      ["non-ASCII inside", '"café"', /not a well-formed RFC 8941 String/],
      ["DEL inside", '"a\x7fb"', /not a well-formed RFC 8941 String/],
      ["a tab inside", '"a\tb"', /not a well-formed RFC 8941 String/],
    ])("%s", (_what, raw, detail) => {
      expectInvalid(raw, detail);
    });
  });

  describe("the key rules apply to the String's content", () => {
    it.each([
      ["the empty String", '""', /must not be empty/],
      ["a space", '"has space"', /visible ASCII/],
      ["a comma and a space in one String", '"a, b"', /visible ASCII/],
      ["only spaces", '"   "', /visible ASCII/],
      ["256 characters", `"${"k".repeat(256)}"`, /at most 255/],
    ])("%s", (_what, raw, detail) => {
      expectInvalid(raw, detail);
      expect(refusal(raw).detail).toMatch(/content of the Idempotency-Key String/);
    });
  });

  describe("the key rules still apply to bare keys", () => {
    it.each([
      ["empty", "", /must not be empty/],
      ["a space", "has space", /visible ASCII/],
      ["a tab", "tab\there", /visible ASCII/],
      ["a newline", "order-42\n", /visible ASCII/],
      ["non-ASCII", "caf\u00e9", /visible ASCII/],
      ["256 characters", "k".repeat(256), /at most 255/],
    ])("%s", (_what, raw, detail) => {
      expectInvalid(raw, detail);
    });
  });

  describe('two header lines (joined by Node with ", ") are a 400', () => {
    it.each([
      ["two bare keys", "a, b"],
      ["the same bare key twice", "a, a"],
      ["two Strings", '"a", "b"'],
      ["the same String twice", '"a", "a"'],
      ["a String, then a bare key", '"a", b'],
      ["a bare key, then a String", 'a, "b"'],
      ["bare keys with commas of their own", "a,b, c,d"],
      ["a key, then an empty line", "a, "],
      ["a String, then an empty line", '"a", '],
      ["an empty line, then a key", ", a"],
      ["three lines", "a, b, c"],
    ])("%s", (_what, raw) => {
      expectInvalid(raw, /appeared more than once/);
    });

    it("for any two lines, bare or quoted", () => {
      const line = fc.oneof(
        bareKey,
        validKey.map((key) => serializeString(key)),
      );
      fc.assert(
        fc.property(line, line, (first, second) => {
          expectInvalid(`${first}, ${second}`, /appeared more than once/);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe("long runs of whitespace are read in linear time", () => {
    // A trailing-whitespace regex retries from every space of a run that does not end the value:
    // quadratic, seconds for these. No timing assertion: a regression times the test out.
    it.each([
      ["spaces inside a bare key", `k${" ".repeat(100_000)}k`],
      ["tabs and spaces inside a String", `"k${" \t".repeat(50_000)}k"`],
      ["spaces around an over-long key", `${" ".repeat(100_000)}${"k".repeat(100_000)}${" ".repeat(100_000)}`],
    ])("%s: 400", (_what, raw) => {
      expectInvalid(raw);
    });

    it("100k spaces around a valid key: the key", () => {
      const pad = " ".repeat(100_000);
      expect(idempotencyKeyFromHeader(`${pad}key-1${pad}`)).toBe("key-1");
    });
  });
});
