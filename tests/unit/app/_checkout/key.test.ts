import { describe, expect, it } from "vitest";
import { newIdempotencyKey } from "@/app/_checkout/key";
import { idempotencyKeySchema } from "@oncepay/idempotency";

describe("newIdempotencyKey", () => {
  it("makes distinct keys the server accepts", () => {
    const keys = Array.from({ length: 1000 }, () => newIdempotencyKey());
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{21}$/);
      expect(idempotencyKeySchema.safeParse(key).success).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("needs no crypto.randomUUID, which plain-http LAN pages lack", () => {
    const original = Object.getOwnPropertyDescriptor(crypto, "randomUUID");
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      expect(newIdempotencyKey()).toMatch(/^[A-Za-z0-9_-]{21}$/);
    } finally {
      if (original) Object.defineProperty(crypto, "randomUUID", original);
      else delete (crypto as { randomUUID?: unknown }).randomUUID;
    }
  });
});
