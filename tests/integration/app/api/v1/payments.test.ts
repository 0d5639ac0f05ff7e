import { describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient, expectProblemShape } from "@/tests/support/api";
import { inFlight } from "@/tests/support/trpc";

// The contract's POST /api/v1/payments rows for executions and duplicates, over real HTTP, on
// PostgreSQL, on the embedded database, and on PostgreSQL behind the Redis fast path.
describe.each(["postgres", "embedded", "redis"] as const)("POST /api/v1/payments on %s", (database) => {
  const base = inject("servers")[database];
  const api = apiClient(base);
  const body = (amount = 1234) => ({ amount, currency: "usd", description: "contract test", customer: "cus_123" });

  it("first execution: 201 with the payment object, balance credited", async () => {
    const before = await api.balance();
    const key = newKey();
    const res = await api.pay(body(1500), { key });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    expect(res.body).toEqual({
      id: expect.stringMatching(/^pay_[A-Za-z0-9]{24}$/),
      object: "payment",
      amount: 1500,
      currency: "usd",
      status: "succeeded",
      description: "contract test",
      customer: "cus_123",
      idempotencyKey: key,
      providerPaymentId: expect.stringMatching(/^pi_/),
      providerIdempotencyKey: expect.stringMatching(/^oncepay:/),
      amountRefunded: 0,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(await api.balance()).toBe(before + 1500);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("decline: 402 card_declined, a failed payment recorded, no balance change", async () => {
    const before = await api.balance();
    const key = newKey();
    const res = await api.pay({ amount: 700, currency: "usd", customer: "cus_declined" }, { key });
    expectProblemShape(res, 402, "card_declined");
    const rows = await api.paymentsWithKey(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "failed", amount: 700 });
    expect(await api.balance()).toBe(before);
  });

  it("duplicate after completion: the first response byte for byte, Idempotent-Replayed, nothing charged", async () => {
    const key = newKey();
    const first = await api.pay(body(2100), { key });
    const balance = await api.balance();
    // Same canonical JSON, different key order and whitespace.
    const again = await api.pay(`{ "customer":"cus_123",\n "description": "contract test", "currency":"usd","amount":2100 }`, { key });
    expect(again.status).toBe(first.status);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(await api.balance()).toBe(balance);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a decline is replayed too, byte for byte", async () => {
    const key = newKey();
    const decline = { amount: 300, currency: "usd", customer: "cus_declined" };
    const first = await api.pay(decline, { key });
    const again = await api.pay(decline, { key });
    expect(first.status).toBe(402);
    expect(again.status).toBe(402);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("same key, different body: 422 and nothing executes", async () => {
    const key = newKey();
    const first = await api.pay(body(900), { key });
    expect(first.status).toBe(201);
    const balance = await api.balance();
    const res = await api.pay(body(901), { key });
    expectProblemShape(res, 422, "idempotency_key_reused");
    expect(await api.balance()).toBe(balance);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("duplicate while the first is executing: 409 with Retry-After, then the replay", async () => {
    const key = newKey();
    const slow = api.pay(body(1100), { key, headers: { "simulate-failure": "delay=2000" } });
    await inFlight(base, key);
    const during = await api.pay(body(1100), { key });
    expectProblemShape(during, 409, "idempotency_key_in_use");
    expect(Number(during.headers.get("retry-after"))).toBeGreaterThan(0);
    const first = await slow;
    expect(first.status).toBe(201);
    const after = await api.pay(body(1100), { key });
    expect(after.status).toBe(201);
    expect(after.text).toBe(first.text);
    expect(after.headers.get("idempotent-replayed")).toBe("true");
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("authentication: missing or unknown API key is 401", async () => {
    const missing = await api.request("/api/v1/payments", {
      method: "POST",
      merchant: null,
      headers: { "idempotency-key": newKey(), "content-type": "application/json" },
      body: JSON.stringify(body()),
    });
    expectProblemShape(missing, 401, "unauthorized");
    const unknown = await api.request("/api/v1/balance", { merchant: null, headers: { authorization: "Bearer sk_test_mallory" } });
    expectProblemShape(unknown, 401, "unauthorized");
  });

  it("scoping: the same key for two merchants is two unrelated payments", async () => {
    const key = newKey();
    const alice = await api.pay(body(1000), { key, merchant: "alice" });
    const bob = await api.pay(body(2000), { key, merchant: "bob" });
    expect(alice.status).toBe(201);
    expect(bob.status).toBe(201);
    expect(bob.headers.get("idempotent-replayed")).toBeNull();
    expect(bob.body.id).not.toBe(alice.body.id);
    expect(bob.body.amount).toBe(2000);
    expect(await api.paymentsWithKey(key, "alice")).toHaveLength(1);
    expect(await api.paymentsWithKey(key, "bob")).toHaveLength(1);
    const peek = await api.request(`/api/v1/payments/${alice.body.id}`, { merchant: "bob" });
    expectProblemShape(peek, 404, "not_found");
  });

  it("GET /payments?limit=N lists newest first; a bad limit is a 400", async () => {
    const a = await api.pay(body(1));
    const b = await api.pay(body(2));
    const res = await api.request("/api/v1/payments?limit=2");
    expect(res.status).toBe(200);
    expect(res.body.data.map((p: { id: string }) => p.id)).toEqual([b.body.id, a.body.id]);
    expectProblemShape(await api.request("/api/v1/payments?limit=0"), 400, "validation_failed");
    expectProblemShape(await api.request("/api/v1/payments?limit=abc"), 400, "validation_failed");
  });
});
