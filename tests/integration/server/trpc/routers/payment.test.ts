import { describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient } from "@/tests/support/api";
import { trpcClient, trpcError } from "@/tests/support/trpc";

const STORM = 100;

// payment.create through the typed tRPC client over HTTP, as an application calls it.
describe.each(["postgres", "embedded", "redis"] as const)("tRPC payment.create on %s", (database) => {
  const base = inject("servers")[database];
  const api = apiClient(base);
  const trpc = trpcClient(base);
  const input = (key: string, amount = 1200) => ({ idempotencyKey: key, amount, currency: "usd" as const });

  it("executes once; a repeat is the same payment, visible as a replay", async () => {
    const key = newKey();
    const before = await api.balance();
    const first = await trpc.payment.create.mutate(input(key));
    expect(first).toMatchObject({ object: "payment", amount: 1200, status: "succeeded", idempotencyKey: key, idempotentReplayed: false });
    let replayed: string | null = null;
    const watched = trpcClient(base, { onResponse: (res) => (replayed = res.headers.get("idempotent-replayed")) });
    const again = await watched.payment.create.mutate({ currency: "usd", amount: 1200, idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect(again.idempotentReplayed).toBe(true);
    expect(replayed).toBe("true");
    expect(await api.balance()).toBe(before + 1200);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("one key across REST and tRPC is one payment", async () => {
    const key = newKey();
    const rest = await api.pay({ amount: 1300, currency: "usd" }, { key });
    const rpc = await trpc.payment.create.mutate(input(key, 1300));
    expect(rpc.id).toBe(rest.body.id);
    expect(rpc.idempotentReplayed).toBe(true);
  });

  it("a different body under the same key is refused (422) with the problem", async () => {
    const key = newKey();
    await trpc.payment.create.mutate(input(key, 100));
    const error = await trpcError(trpc.payment.create.mutate(input(key, 101)));
    expect(error.data?.httpStatus).toBe(422);
    expect(error.data).toMatchObject({ code: "UNPROCESSABLE_CONTENT", problem: { code: "idempotency_key_reused", status: 422 } });
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a decline is a 402 error, recorded once and replayed", async () => {
    const key = newKey();
    const declined = { ...input(key, 450), customer: "cus_declined" };
    const first = await trpcError(trpc.payment.create.mutate(declined));
    expect(first.data?.httpStatus).toBe(402);
    expect(first.data?.problem).toMatchObject({ code: "card_declined" });
    const again = await trpcError(trpc.payment.create.mutate(declined));
    expect(again.data?.httpStatus).toBe(402);
    expect(again.data?.problem).toMatchObject({ code: "card_declined", idempotentReplayed: true });
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a missing or invalid key, or an invalid body, is a 400 and saves nothing", async () => {
    // The typed client refuses these at compile time; an application built without types sends them.
    const untyped = trpc.payment.create.mutate as (raw: unknown) => Promise<unknown>;
    const missing = await trpcError(untyped({ amount: 100, currency: "usd" }));
    expect(missing.data?.httpStatus).toBe(400);
    expect(missing.data?.problem?.code).toBe("idempotency_key_missing");
    const invalid = await trpcError(trpc.payment.create.mutate(input("has space")));
    expect(invalid.data?.httpStatus).toBe(400);
    expect(invalid.data?.problem?.code).toBe("idempotency_key_invalid");
    const key = newKey();
    const bad = await trpcError(trpc.payment.create.mutate({ idempotencyKey: key, amount: -1, currency: "usd" }));
    expect(bad.data?.httpStatus).toBe(400);
    expect(bad.data?.problem?.code).toBe("validation_failed");
    const retry = await trpc.payment.create.mutate(input(key));
    expect(retry.idempotentReplayed).toBe(false);
  });

  // The one test that speaks tRPC's batch protocol by hand: what batching must not do is share a key.
  it("the key travels per call: one batch with two keys is two payments, with one key is one", async () => {
    const batch = (inputs: unknown[]) =>
      api.request(`/api/trpc/${inputs.map(() => "payment.create").join(",")}?batch=1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(Object.fromEntries(inputs.map((each, i) => [String(i), each]))),
      });
    const [k1, k2] = [newKey(), newKey()];
    const two = await batch([input(k1, 10), input(k2, 20)]);
    const results = two.body as { result: { data: { id: string } } }[];
    expect(results).toHaveLength(2);
    expect(results[0]!.result.data.id).not.toBe(results[1]!.result.data.id);
    const k3 = newKey();
    const same = await batch([input(k3, 30), input(k3, 30)]);
    expect(same.body).toHaveLength(2);
    expect(await api.paymentsWithKey(k3)).toHaveLength(1);
  });

  it("without an API key: UNAUTHORIZED", async () => {
    const error = await trpcError(trpcClient(base, { merchant: null }).payment.create.mutate(input(newKey())));
    expect(error.data?.httpStatus).toBe(401);
    expect(error.data?.problem?.code).toBe("unauthorized");
  });

  it("lost response and failure before commit behave as over REST", async () => {
    const key = newKey();
    const lost = await trpcError(trpcClient(base, { headers: { "simulate-failure": "lost-response" } }).payment.create.mutate(input(key, 77)));
    expect(lost.data?.httpStatus).toBe(502);
    const retry = await trpc.payment.create.mutate(input(key, 77));
    expect(retry.idempotentReplayed).toBe(true);
    const key2 = newKey();
    const failed = await trpcError(trpcClient(base, { headers: { "simulate-failure": "fail-before-commit" } }).payment.create.mutate(input(key2, 78)));
    expect(failed.data?.httpStatus).toBe(503);
    expect(await api.paymentsWithKey(key2)).toHaveLength(0);
    const fresh = await trpc.payment.create.mutate(input(key2, 78));
    expect(fresh.idempotentReplayed).toBe(false);
  });

  it("queries: payment.list, payment.byId and balance.get are the merchant's own", async () => {
    const bob = trpcClient(base, { merchant: "bob" });
    const created = await bob.payment.create.mutate(input(newKey(), 55));
    const list = await bob.payment.list.query({ limit: 5 });
    expect(list.map((p) => p.id)).toContain(created.id);
    const mine = await bob.payment.byId.query({ id: created.id });
    expect(mine.id).toBe(created.id);
    const theirs = await trpcError(trpc.payment.byId.query({ id: created.id }));
    expect(theirs.data?.httpStatus).toBe(404);
    const balance = await bob.balance.get.query();
    expect(balance.available).toEqual(expect.arrayContaining([expect.objectContaining({ currency: "usd" })]));
  });

  it(`${STORM} concurrent tRPC calls with one key: one payment`, async () => {
    const key = newKey();
    const settled = await Promise.allSettled(Array.from({ length: STORM }, () => trpc.payment.create.mutate(input(key, 4444))));
    const refused = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as { data?: { httpStatus?: number } }] : []));
    expect(refused.map((e) => e.data?.httpStatus).filter((s) => s !== 409)).toEqual([]);
    const data = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    expect(data.filter((d) => !d.idempotentReplayed)).toHaveLength(1);
    expect(new Set(data.map((d) => d.id)).size).toBe(1);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });
});
