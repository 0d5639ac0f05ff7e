import { describe, expect, inject, it } from "vitest";
import { apiClient, expectProblemShape, newKey } from "../support/api";

// Every row of the contract's POST /api/v1/payments table, over real HTTP, on PostgreSQL, on the
// embedded database, and on PostgreSQL behind the Redis fast path.
describe.each(["postgres", "embedded", "redis"] as const)("contract on %s", (database) => {
  const api = apiClient(inject("servers")[database]);
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
    await sleep(400); // the claim commits before the delay starts
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

  it("Idempotency-Key missing: 400", async () => {
    const res = await api.pay(body(), { key: null });
    expectProblemShape(res, 400, "idempotency_key_missing");
  });

  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["a space", "has space"],
    ["a non-ASCII character", "caf\u00e9"],
    ["a tab", "tab\there"],
  ])("Idempotency-Key with %s: 400", async (_what, key) => {
    const res = await api.pay(body(), { key });
    expectProblemShape(res, 400, "idempotency_key_invalid");
  });

  it("a 255-character key of visible ASCII is accepted", async () => {
    const key = ("!~" + newKey()).padEnd(255, "Z");
    const res = await api.pay(body(), { key });
    expect(res.status).toBe(201);
    expect(res.body.idempotencyKey).toBe(key);
  });

  it("body not JSON: 400 and nothing saved under the key", async () => {
    const key = newKey();
    const res = await api.pay("{amount: 5", { key });
    expectProblemShape(res, 400, "invalid_json");
    const retry = await api.pay(body(555), { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it.each([
    ["amount 0", { amount: 0, currency: "usd" }, "amount"],
    ["amount too large", { amount: 100_000_000, currency: "usd" }, "amount"],
    ["fractional amount", { amount: 10.5, currency: "usd" }, "amount"],
    ["amount as string", { amount: "10", currency: "usd" }, "amount"],
    ["unknown currency", { amount: 10, currency: "btc" }, "currency"],
    ["missing currency", { amount: 10 }, "currency"],
    ["description too long", { amount: 10, currency: "usd", description: "d".repeat(501) }, "description"],
    ["customer too long", { amount: 10, currency: "usd", customer: "c".repeat(256) }, "customer"],
    ["unknown field", { amount: 10, currency: "usd", capture: true }, "(body)"],
    ["an array", [1, 2], "(body)"],
  ])("validation failure (%s): 400 with field errors, nothing saved", async (_what, bad, field) => {
    const key = newKey();
    const res = await api.pay(bad, { key });
    expectProblemShape(res, 400, "validation_failed");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    const retry = await api.pay(body(321), { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("failure before commit: 503, nothing saved, a retry with the same key executes afresh", async () => {
    const key = newKey();
    const before = await api.balance();
    const failed = await api.pay(body(640), { key, headers: { "simulate-failure": "fail-before-commit" } });
    expectProblemShape(failed, 503, "simulated_failure");
    expect(await api.paymentsWithKey(key)).toHaveLength(0);
    expect(await api.balance()).toBe(before);
    const retry = await api.pay(body(640), { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
    expect(await api.balance()).toBe(before + 640);
  });

  it("lost response: never the 201, the payment commits, the retry gets the replay", async () => {
    const key = newKey();
    const lost = await api.pay(body(810), { key, headers: { "simulate-failure": "lost-response" } });
    expect(lost.status).toBeGreaterThanOrEqual(500);
    expect(lost.text).not.toContain("pay_");
    expectProblemShape(lost, 502, "simulated_lost_response");
    const [committed] = await api.paymentsWithKey(key);
    expect(committed).toBeDefined();
    // The same request again (fault header and all): the replay, not a second charge.
    const retry = await api.pay(body(810), { key, headers: { "simulate-failure": "lost-response" } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(committed!.id);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("delay holds only its own request: another key completes first", async () => {
    const order: string[] = [];
    const slow = api.pay(body(10), { headers: { "simulate-failure": "delay=1500" } }).then((r) => (order.push("slow"), r));
    await sleep(100);
    const fast = await api.pay(body(11));
    order.push("fast");
    expect(fast.status).toBe(201);
    expect((await slow).status).toBe(201);
    expect(order).toEqual(["fast", "slow"]);
  });

  it("an invalid Simulate-Failure header is a 400, not a silent no-op", async () => {
    const res = await api.pay(body(), { headers: { "simulate-failure": "explode" } });
    expectProblemShape(res, 400, "invalid_fault");
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

  it("GET /payments/{id} returns the merchant's own payment", async () => {
    const created = await api.pay(body(4321));
    const res = await api.request(`/api/v1/payments/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    expectProblemShape(await api.request("/api/v1/payments/pay_doesnotexist"), 404, "not_found");
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

  it("GET /balance sums succeeded payments by currency", async () => {
    const eur = await api.balance("bob", "eur");
    const jpy = await api.balance("bob", "jpy");
    await api.pay({ amount: 250, currency: "eur" }, { merchant: "bob" });
    await api.pay({ amount: 50, currency: "eur" }, { merchant: "bob" });
    await api.pay({ amount: 999, currency: "eur", customer: "cus_declined" }, { merchant: "bob" });
    await api.pay({ amount: 7, currency: "jpy" }, { merchant: "bob" });
    expect(await api.balance("bob", "eur")).toBe(eur + 300);
    expect(await api.balance("bob", "jpy")).toBe(jpy + 7);
  });

  it("an oversized body is a 413 problem and saves nothing", async () => {
    const key = newKey();
    const res = await api.pay({ amount: 10, currency: "usd", description: "x".repeat(70_000) }, { key });
    expectProblemShape(res, 413, "payload_too_large");
    expect((await api.pay(body(12), { key })).status).toBe(201);
  });

  it("unknown API paths and unsupported methods answer in problem+json", async () => {
    expectProblemShape(await api.request("/api/v1/refunds"), 404, "not_found");
    const del = await api.request("/api/v1/payments", { method: "DELETE" });
    expectProblemShape(del, 405, "method_not_allowed");
    expect(del.headers.get("allow")).toBe("GET, POST");
  });

  it("GET /api/health answers 200 while the database does", async () => {
    const res = await api.request("/api/health", { merchant: null });
    expect(res.status).toBe(200);
  });

  it("GET /api/metrics exposes outcomes and latency in Prometheus text", async () => {
    const key = newKey();
    await api.pay(body(5), { key });
    await api.pay(body(5), { key });
    const res = await api.request("/api/metrics", { merchant: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/oncepay_idempotency_requests_total\{operation="payment.create",outcome="executed"\} [1-9]/);
    expect(res.text).toMatch(/oncepay_idempotency_requests_total\{operation="payment.create",outcome="replayed"\} [1-9]/);
    expect(res.text).toMatch(/oncepay_idempotency_request_duration_seconds_bucket\{le="0.1",operation="payment.create",outcome="executed"\}/);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
