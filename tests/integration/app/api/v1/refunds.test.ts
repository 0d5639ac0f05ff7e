import { beforeAll, describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient, expectProblemShape, type ApiClient } from "@/tests/support/api";
import { providerLedger } from "@/fixtures/simulator-process";

/** POST /api/v1/refunds on each shared server: refunded at the provider once, never more than paid. */
describe.each(["postgres", "embedded", "redis"] as const)("POST /api/v1/refunds on %s", (name) => {
  let api: ApiClient;
  const providerUrl = inject("providerUrl");
  beforeAll(() => {
    api = apiClient(inject("servers")[name]);
  });

  const refund = (body: unknown, options: { key?: string; merchant?: "alice" | "bob" } = {}) =>
    api.request("/api/v1/refunds", {
      method: "POST",
      merchant: options.merchant,
      headers: { "content-type": "application/json", "idempotency-key": options.key ?? newKey() },
      body: JSON.stringify(body),
    });
  const refundedAtProvider = async (pi: string) =>
    (await providerLedger(providerUrl)).refunds.filter((r) => r.payment_intent === pi).reduce((sum, r) => sum + r.amount, 0);

  async function paid(amount: number) {
    const res = await api.pay({ amount, currency: "usd" });
    expect(res.status).toBe(201);
    return res.body as { id: string; providerPaymentId: string };
  }

  it("refunds part, then what remains; each once at the provider and in the ledger; replays and 422 as for payments", async () => {
    const payment = await paid(1000);
    const before = await api.balance();
    const key = newKey();
    const first = await refund({ payment: payment.id, amount: 400 }, { key });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^re_/),
      object: "refund",
      payment: payment.id,
      amount: 400,
      status: "succeeded",
      createdAt: expect.any(String),
    });
    const again = await refund({ payment: payment.id, amount: 400 }, { key });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expectProblemShape(await refund({ payment: payment.id, amount: 300 }, { key }), 422, "idempotency_key_reused");
    const rest = await refund({ payment: payment.id });
    expect(rest.body).toMatchObject({ amount: 600, status: "succeeded" });
    expect(await api.balance()).toBe(before - 1000);
    expect(await refundedAtProvider(payment.providerPaymentId)).toBe(1000);
    expect((await api.request(`/api/v1/payments/${payment.id}`)).body.amountRefunded).toBe(1000);
    expectProblemShape(await refund({ payment: payment.id, amount: 1 }), 400, "refund_exceeds_payment");
  });

  it("refuses what it must: more than remains, a payment that did not succeed, another merchant's, no key", async () => {
    const payment = await paid(500);
    expectProblemShape(await refund({ payment: payment.id, amount: 501 }), 400, "refund_exceeds_payment");
    const declined = await api.pay({ amount: 100, currency: "usd", customer: "cus_declined" });
    expectProblemShape(await refund({ payment: declined.body.payment }), 400, "payment_not_refundable");
    expectProblemShape(await refund({ payment: payment.id }, { merchant: "bob" }), 404, "not_found");
    expectProblemShape(await refund({ payment: payment.id, amount: 0 }), 400, "validation_failed");
    const noKey = await api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payment: payment.id }),
    });
    expectProblemShape(noKey, 400, "idempotency_key_missing");
    expect(await refundedAtProvider(payment.providerPaymentId)).toBe(0);
  });

  it("10 concurrent refunds of 300 on a payment of 1000: three succeed, never more than paid, here or at the provider", async () => {
    const payment = await paid(1000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => refund({ payment: payment.id, amount: 300 })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.every((s) => s === 201 || s === 400)).toBe(true);
    expect((await api.request(`/api/v1/payments/${payment.id}`)).body.amountRefunded).toBe(900);
    expect(await refundedAtProvider(payment.providerPaymentId)).toBe(900);
  });
});
