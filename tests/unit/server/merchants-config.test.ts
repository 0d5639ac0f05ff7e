import { describe, expect, it } from "vitest";
import { parseMerchants } from "@/server/merchants-config";

describe("ONCEPAY_MERCHANTS", () => {
  it("reads id:secretKey and id:secretKey:publishableKey entries, blanks and spaces ignored", () => {
    expect(parseMerchants(" carol:sk_test_carol_1 , ,dave:sk_test_dave_1:pk_test_dave_1")).toEqual({
      ok: true,
      merchants: [
        { id: "carol", name: "carol", apiKey: "sk_test_carol_1" },
        { id: "dave", name: "dave", apiKey: "sk_test_dave_1", publishableKey: "pk_test_dave_1" },
      ],
    });
    expect(parseMerchants("")).toEqual({ ok: true, merchants: [] });
  });

  it.each([
    ["a secret key without sk_", "carol:pk_test_carol_1", /entry 1 \("carol"\): the secret key must start with sk_/],
    ["a publishable key without pk_", "carol:sk_test_carol_1:sk_test_carol_2", /entry 1 \("carol"\): the publishable key must start with pk_/],
    ["a short key", "carol:sk_1", /entry 1 \("carol"\): the secret key/],
    ["a missing key", "carol", /entry 1: expected 2 or 3 parts/],
    ["too many parts", "carol:sk_test_carol_1:pk_test_carol_1:x", /entry 1 \("carol"\): expected 2 or 3 parts/],
    ["an empty publishable key", "carol:sk_test_carol_1:", /publishable key must start with pk_/],
    ["a bad id", "ca rol:sk_test_carol_1", /^ONCEPAY_MERCHANTS entry 1: the id must be/],
    ["a key where the id goes", "sk_live_pasted_here_0", /^ONCEPAY_MERCHANTS entry 1: expected 2 or 3 parts|^ONCEPAY_MERCHANTS entry 1: the id/],
    ["a repeated id", "carol:sk_test_carol_1,carol:sk_test_carol_2", /entry 2 \("carol"\): the id is listed twice/],
    ["a key shared by two entries", "carol:sk_test_carol_1,dave:sk_test_carol_1", /entry 2 \("dave"\): a key is also another entry's/],
  ])("refuses %s, naming the entry but never its keys", (_what, raw, message) => {
    const parsed = parseMerchants(raw);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatch(message);
    for (const part of raw.split(/[,:]/).filter((p) => /^[sp]k_/.test(p))) expect(parsed.error).not.toContain(part);
  });

  it("counts positions among the non-empty entries", () => {
    const parsed = parseMerchants("carol:sk_test_carol_1,,dave:bad_key_here");
    expect(parsed).toMatchObject({ ok: false, error: expect.stringMatching(/entry 2 \("dave"\)/) });
  });
});
