import { describe, expect, inject, it } from "vitest";
import { apiClient, newKey } from "../support/api";

// payment.create over tRPC's HTTP protocol (JSON, no transformer), as the browser sends it.
describe.each(["postgres", "embedded", "redis"] as const)("tRPC payment.create on %s", (database) => {
  const api = apiClient(inject("servers")[database]);
  const input = (key: string, amount = 1200) => ({ idempotencyKey: key, amount, currency: "usd" });

  it("executes once; a repeat is the same payment, visible as a replay", async () => {
    const key = newKey();
    const before = await api.balance();
    const first = await api.trpcMutation("payment.create", input(key));
    expect(first.status).toBe(200);
    expect(first.body.result.data).toMatchObject({ object: "payment", amount: 1200, status: "succeeded", idempotencyKey: key, idempotentReplayed: false });
    const again = await api.trpcMutation("payment.create", { currency: "usd", amount: 1200, idempotencyKey: key });
    expect(again.body.result.data.id).toBe(first.body.result.data.id);
    expect(again.body.result.data.idempotentReplayed).toBe(true);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await api.balance()).toBe(before + 1200);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("one key across REST and tRPC is one payment", async () => {
    const key = newKey();
    const rest = await api.pay({ amount: 1300, currency: "usd" }, { key });
    const rpc = await api.trpcMutation("payment.create", input(key, 1300));
    expect(rpc.body.result.data.id).toBe(rest.body.id);
    expect(rpc.body.result.data.idempotentReplayed).toBe(true);
  });

  it("a different body under the same key is refused (422) with the problem", async () => {
    const key = newKey();
    await api.trpcMutation("payment.create", input(key, 100));
    const res = await api.trpcMutation("payment.create", input(key, 101));
    expect(res.status).toBe(422);
    expect(res.body.error.data).toMatchObject({ code: "UNPROCESSABLE_CONTENT", problem: { code: "idempotency_key_reused", status: 422 } });
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a decline is a 402 error, recorded once and replayed", async () => {
    const key = newKey();
    const declined = { ...input(key, 450), customer: "cus_declined" };
    const first = await api.trpcMutation("payment.create", declined);
    expect(first.status).toBe(402);
    expect(first.body.error.data.problem).toMatchObject({ code: "card_declined" });
    const again = await api.trpcMutation("payment.create", declined);
    expect(again.status).toBe(402);
    expect(again.body.error.data.problem).toMatchObject({ code: "card_declined", idempotentReplayed: true });
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a missing or invalid key, or an invalid body, is a 400 and saves nothing", async () => {
    const missing = await api.trpcMutation("payment.create", { amount: 100, currency: "usd" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.data.problem.code).toBe("idempotency_key_missing");
    const invalid = await api.trpcMutation("payment.create", input("has space"));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.data.problem.code).toBe("idempotency_key_invalid");
    const key = newKey();
    const bad = await api.trpcMutation("payment.create", { idempotencyKey: key, amount: -1, currency: "usd" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.data.problem.code).toBe("validation_failed");
    const retry = await api.trpcMutation("payment.create", input(key));
    expect(retry.body.result.data.idempotentReplayed).toBe(false);
  });

  it("the key travels per call: one batch with two keys is two payments, with one key is one", async () => {
    const [k1, k2] = [newKey(), newKey()];
    const two = await api.trpcBatch("payment.create", [input(k1, 10), input(k2, 20)]);
    const results = two.body as { result: { data: { id: string } } }[];
    expect(results).toHaveLength(2);
    expect(results[0]!.result.data.id).not.toBe(results[1]!.result.data.id);
    const k3 = newKey();
    const same = await api.trpcBatch("payment.create", [input(k3, 30), input(k3, 30)]);
    expect(same.body).toHaveLength(2);
    expect(await api.paymentsWithKey(k3)).toHaveLength(1);
  });

  it("without an API key: UNAUTHORIZED", async () => {
    const res = await api.request("/api/trpc/payment.create", {
      method: "POST",
      merchant: null,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input(newKey())),
    });
    expect(res.status).toBe(401);
    expect(res.body.error.data.problem.code).toBe("unauthorized");
  });

  it("lost response and failure before commit behave as over REST", async () => {
    const key = newKey();
    const lost = await api.trpcMutation("payment.create", input(key, 77), { headers: { "simulate-failure": "lost-response" } });
    expect(lost.status).toBe(502);
    const retry = await api.trpcMutation("payment.create", input(key, 77));
    expect(retry.body.result.data.idempotentReplayed).toBe(true);
    const key2 = newKey();
    const failed = await api.trpcMutation("payment.create", input(key2, 78), { headers: { "simulate-failure": "fail-before-commit" } });
    expect(failed.status).toBe(503);
    expect(await api.paymentsWithKey(key2)).toHaveLength(0);
    const fresh = await api.trpcMutation("payment.create", input(key2, 78));
    expect(fresh.body.result.data.idempotentReplayed).toBe(false);
  });

  it("queries: payment.list, payment.byId and balance.get are the merchant's own", async () => {
    const key = newKey();
    const created = await api.trpcMutation("payment.create", input(key, 55), { merchant: "bob" });
    const id = created.body.result.data.id as string;
    const list = await api.request(`/api/trpc/payment.list?input=${encodeURIComponent(JSON.stringify({ limit: 5 }))}`, { merchant: "bob" });
    expect(list.body.result.data.map((p: { id: string }) => p.id)).toContain(id);
    const mine = await api.request(`/api/trpc/payment.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`, { merchant: "bob" });
    expect(mine.body.result.data.id).toBe(id);
    const theirs = await api.request(`/api/trpc/payment.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`, { merchant: "alice" });
    expect(theirs.status).toBe(404);
    const balance = await api.request("/api/trpc/balance.get", { merchant: "bob" });
    expect(balance.body.result.data.available).toEqual(expect.arrayContaining([expect.objectContaining({ currency: "usd" })]));
  });
});
