import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { addressOf, canonicalBytes, receiptOf } from "@/server/receipts/document";
import type { PaymentEvent } from "@/server/payments/events";

const payment = {
  id: "pay_1",
  amount: 5_000,
  currency: "usd" as const,
  description: "tea",
  customer: null,
  providerPaymentId: "pi_1",
  status: "succeeded",
  failureCode: null,
  createdAt: "2026-11-29T10:00:00.000Z",
  refunds: [],
};
const succeeded: PaymentEvent = {
  id: "evt_a",
  sequence: 1,
  merchant: "alice",
  type: "payment.succeeded",
  createdAt: payment.createdAt,
  data: { payment, amount: 5_000 },
};
const refunded: PaymentEvent = {
  id: "evt_b",
  sequence: 2,
  merchant: "alice",
  type: "refund.succeeded",
  createdAt: "2026-11-29T11:00:00.000Z",
  data: {
    payment: { ...payment, refunds: [{ id: "re_1", amount: 1_500, createdAt: "2026-11-29T11:00:00.000Z" }] },
    amount: -1_500,
    refund: { id: "re_1", amount: 1_500 },
  },
};

describe("receipt documents", () => {
  it("are a function of the event: the same event, in any key order, is the same bytes and address", () => {
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : value && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value;
    const reordered = reversed(succeeded) as PaymentEvent;
    expect(Object.keys(reordered.data.payment)[0]).toBe("refunds");
    const bytes = canonicalBytes(receiptOf(succeeded)!);
    expect(canonicalBytes(receiptOf(reordered)!)).toBe(bytes);
    expect(addressOf(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(addressOf(bytes)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("version 1 at the payment, one more per refund, with what remains paid", () => {
    expect(receiptOf(succeeded)).toMatchObject({ version: 1, amountRefunded: 0, net: 5_000, refunds: [] });
    const second = receiptOf(refunded)!;
    expect(second).toMatchObject({ version: 2, amountRefunded: 1_500, net: 3_500 });
    expect(addressOf(canonicalBytes(second))).not.toBe(addressOf(canonicalBytes(receiptOf(succeeded)!)));
  });

  it("failures and disputes make none", () => {
    expect(receiptOf({ ...succeeded, type: "payment.failed" })).toBeNull();
    expect(receiptOf({ ...refunded, type: "dispute.created" })).toBeNull();
  });
});
