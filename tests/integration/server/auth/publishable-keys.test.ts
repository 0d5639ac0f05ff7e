import { describe, expect, inject, it } from "vitest";
import { API_KEYS, newKey, poll, PUBLISHABLE_KEYS } from "@/fixtures";
import { expectProblemShape, httpResult, type HttpResult } from "@/tests/support/api";
import { trpcError } from "@/tests/support/trpc";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "@/server/trpc/routers/_app";

/** Real HTTP with exactly this key in Authorization. */
function withKey(base: string, key: string) {
  async function request(path: string, init: RequestInit = {}): Promise<HttpResult> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${key}`);
    return httpResult(await fetch(`${base}${path}`, { ...init, headers }));
  }
  const post = (path: string, body: unknown) =>
    request(path, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": newKey() }, body: JSON.stringify(body) });
  const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/api/trpc`, headers: { authorization: `Bearer ${key}` } })] });
  return { request, post, trpc };
}

// The checkout's key (contract: "Principals and scoping"): it creates payments and reads back what
// the checkout shows of them, and nothing else.
describe.each(["postgres", "embedded"] as const)("a publishable key on %s", (database) => {
  const base = inject("servers")[database];
  const pk = withKey(base, PUBLISHABLE_KEYS.alice);
  const sk = withKey(base, API_KEYS.alice);

  it("creates a payment over REST and reads it and its receipt back", async () => {
    const paid = await pk.post("/api/v1/payments", { amount: 1_234, currency: "usd" });
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ object: "payment", amount: 1_234, status: "succeeded" });
    // Alice's payment, whichever of her keys made it.
    expect((await sk.request(`/api/v1/payments/${paid.body.id}`)).body).toMatchObject({ id: paid.body.id });
    const read = await pk.request(`/api/v1/payments/${paid.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: paid.body.id, amount: 1_234 });
    const receipt = await poll(
      async () => {
        const res = await pk.request(`/api/v1/payments/${paid.body.id}/receipt`);
        return res.status === 200 ? res : null;
      },
      { timeoutMs: 15_000, intervalMs: 200, message: "no receipt" },
    );
    expect(receipt.body).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Another merchant's publishable key sees nothing of it.
    expect((await withKey(base, PUBLISHABLE_KEYS.bob).request(`/api/v1/payments/${paid.body.id}`)).status).toBe(404);
  });

  it("creates a payment over tRPC and reads it, its receipt and its timeline back", async () => {
    const key = newKey();
    const paid = await pk.trpc.payment.create.mutate({ idempotencyKey: key, amount: 2_345, currency: "eur" });
    expect(paid).toMatchObject({ amount: 2_345, status: "succeeded", idempotentReplayed: false });
    expect(await pk.trpc.payment.byId.query({ id: paid.id })).toMatchObject({ id: paid.id, idempotencyKey: key });
    const timeline = await pk.trpc.payment.timeline.query({ id: paid.id });
    expect(timeline.record?.key).toBe(key);
    const receipt = await poll(() => pk.trpc.payment.receipt.query({ id: paid.id }), { timeoutMs: 15_000, intervalMs: 200, message: "no receipt" });
    expect(receipt.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ["GET /api/v1/payments", () => pk.request("/api/v1/payments?limit=5")],
    ["GET /api/v1/balance", () => pk.request("/api/v1/balance")],
    ["GET /api/v1/events", () => pk.request("/api/v1/events?limit=5")],
    ["POST /api/v1/refunds", () => pk.post("/api/v1/refunds", { payment: "pay_whatever" })],
  ])("is refused on %s: 403 secret_key_required", async (_what, call) => {
    const res = await call();
    expectProblemShape(res, 403, "secret_key_required");
    expect(res.text).not.toContain(PUBLISHABLE_KEYS.alice);
  });

  it("is refused on the merchant's other procedures: 403 secret_key_required", async () => {
    for (const call of [pk.trpc.payment.list.query({ limit: 5 }), pk.trpc.balance.get.query()]) {
      const error = await trpcError(call);
      expect(error.data?.httpStatus).toBe(403);
      expect(error.data?.problem).toMatchObject({ code: "secret_key_required", status: 403 });
    }
  });

  it("refunds nothing: a refund with it is refused before anything is claimed", async () => {
    const paid = await sk.post("/api/v1/payments", { amount: 500, currency: "usd" });
    const key = newKey();
    const refund = () =>
      pk.request("/api/v1/refunds", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ payment: paid.body.id }),
      });
    expectProblemShape(await refund(), 403, "secret_key_required");
    // The same key with the secret key executes afresh: the 403 saved nothing.
    const withSecret = await sk.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ payment: paid.body.id }),
    });
    expect(withSecret.status).toBe(201);
    expect(withSecret.body).toMatchObject({ amount: 500 });
  });
});
