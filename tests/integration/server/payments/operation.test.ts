import { beforeAll, describe, expect, inject, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { apiClient, expectProblemShape, type ApiClient } from "@/tests/support/api";
import { intentsFor } from "@/tests/support/provider-ledger";

const BODY = { amount: 4200, currency: "usd", description: "provider path" };

/**
 * payment.create through the provider, on each shared server (PostgreSQL, embedded, Redis in
 * front): the derived key, the provider's decline, and the faults on either side of the charge.
 */
describe.each(["postgres", "embedded", "redis"] as const)("payment.create through the provider (%s)", (name) => {
  let api: ApiClient;
  const providerUrl = inject("providerUrl");
  beforeAll(() => {
    api = apiClient(inject("servers")[name]);
  });

  it("charges one PaymentIntent with a derived key and shows it on the payment", async () => {
    const key = newKey();
    const res = await api.pay(BODY, { key });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "succeeded", amountRefunded: 0, providerPaymentId: expect.stringMatching(/^pi_/) });
    // Derived from Oncepay's record, never the client's key (two merchants may send the same one).
    expect(res.body.providerIdempotencyKey).toMatch(/^oncepay:[0-9a-f-]{36}:charge$/);
    expect(res.body.providerIdempotencyKey).not.toContain(key);
    const intents = await intentsFor(providerUrl, res.body.id);
    expect(intents).toEqual([expect.objectContaining({ id: res.body.providerPaymentId, status: "succeeded", amount: 4200, currency: "usd" })]);
  });

  it("two merchants with the same key: two payments, two provider keys, two PaymentIntents", async () => {
    const key = newKey();
    const [alice, bob] = await Promise.all([api.pay(BODY, { key, merchant: "alice" }), api.pay(BODY, { key, merchant: "bob" })]);
    expect([alice.status, bob.status]).toEqual([201, 201]);
    expect(alice.body.providerIdempotencyKey).not.toBe(bob.body.providerIdempotencyKey);
    expect(alice.body.providerPaymentId).not.toBe(bob.body.providerPaymentId);
  });

  it("a decline comes from the provider: 402 stored and replayed, the failed payment recorded, no money moved", async () => {
    const key = newKey();
    const balance = await api.balance("alice", "eur");
    const first = await api.pay({ amount: 999, currency: "eur", customer: "cus_declined" }, { key });
    expectProblemShape(first, 402, "card_declined");
    const again = await api.pay({ amount: 999, currency: "eur", customer: "cus_declined" }, { key });
    expect(again.status).toBe(402);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const [payment] = await api.paymentsWithKey(key);
    expect(payment).toMatchObject({ id: first.body.payment, status: "failed" });
    expect(await intentsFor(providerUrl, first.body.payment)).toEqual([expect.objectContaining({ status: "requires_payment_method" })]);
    expect(await api.balance("alice", "eur")).toBe(balance);
  });

  it("provider times out after charging: 5xx provider_unavailable, nothing stored; the retry resumes and the provider charged once", async () => {
    const key = newKey();
    const balance = await api.balance("alice", "gbp");
    const body = { amount: 1500, currency: "gbp" };
    const lost = await api.pay(body, { key, headers: { "simulate-failure": "provider-timeout-after-charge" } });
    expect([502, 503, 504]).toContain(lost.status);
    expectProblemShape(lost, lost.status, "provider_unavailable");
    expect(Number(lost.headers.get("retry-after"))).toBeGreaterThan(0);
    // The charge went through at the provider; locally the payment is still processing.
    const [processing] = await api.paymentsWithKey(key);
    expect(processing).toMatchObject({ status: "processing" });
    expect(await intentsFor(providerUrl, processing!.id)).toHaveLength(1);

    const retry = await api.pay(body, { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(retry.body).toMatchObject({ id: processing!.id, status: "succeeded" });
    const intents = await intentsFor(providerUrl, processing!.id);
    expect(intents).toEqual([expect.objectContaining({ id: retry.body.providerPaymentId, status: "succeeded" })]);
    expect(await api.balance("alice", "gbp")).toBe(balance + 1500);
    const replay = await api.pay(body, { key });
    expect(replay.text).toBe(retry.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("past a recovery point the key stays with its request: another body gets 422", async () => {
    const key = newKey();
    const lost = await api.pay(BODY, { key, headers: { "simulate-failure": "provider-timeout-after-charge" } });
    expect(lost.status).toBeGreaterThanOrEqual(502);
    expectProblemShape(await api.pay({ ...BODY, amount: 1 }, { key }), 422, "idempotency_key_reused");
    expect((await api.pay(BODY, { key })).status).toBe(201);
  });

  it("provider fails before charging: 5xx provider_unavailable, no PaymentIntent; the retry charges once", async () => {
    const key = newKey();
    const failed = await api.pay(BODY, { key, headers: { "simulate-failure": "provider-fail-before-charge" } });
    expectProblemShape(failed, failed.status, "provider_unavailable");
    expect([502, 503, 504]).toContain(failed.status);
    const [processing] = await api.paymentsWithKey(key);
    expect(await intentsFor(providerUrl, processing!.id)).toEqual([]);
    const retry = await api.pay(BODY, { key });
    expect(retry.status).toBe(201);
    expect(await intentsFor(providerUrl, retry.body.id)).toHaveLength(1);
  });

  it("100 concurrent duplicates: one payment, one PaymentIntent, every answer the payment or a 409", async () => {
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 100 }, () => api.pay(BODY, { key, headers: { "simulate-failure": "provider-latency=300" } })));
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].every((s) => s === 201 || s === 409)).toBe(true);
    const final = await poll(
      async () => {
        const res = await api.pay(BODY, { key });
        return res.status === 201 && res;
      },
      { timeoutMs: 10_000, message: "the key never completed" },
    );
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
    expect(await intentsFor(providerUrl, final.body.id)).toHaveLength(1);
  });
});
