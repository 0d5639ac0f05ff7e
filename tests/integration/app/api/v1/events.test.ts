import { createHash } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { apiClient, expectProblemShape } from "@/tests/support/api";

describe.each(["postgres", "embedded", "redis"] as const)("events and receipts on %s", (database) => {
  const api = apiClient(inject("servers")[database]);

  async function eventsOf(merchant: "alice" | "bob", query = "limit=100") {
    const res = await api.request(`/api/v1/events?${query}`, { merchant });
    expect(res.status).toBe(200);
    return res.body as { data: { id: string; sequence: number; type: string; createdAt: string; data: { payment: { id: string } } }[]; hasMore: boolean };
  }

  async function allEvents(merchant: "alice" | "bob") {
    const all = [];
    for (let page = await eventsOf(merchant); ; page = await eventsOf(merchant, `limit=100&after=${all[all.length - 1]!.id}`)) {
      all.push(...page.data);
      if (!page.hasMore) return all;
    }
  }

  it("a payment and its refund are one event each, in ascending sequence, for their merchant only", async () => {
    const paid = await api.pay({ amount: 2_500, currency: "eur" });
    expect(paid.status).toBe(201);
    const refund = await api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": newKey() },
      body: JSON.stringify({ payment: paid.body.id, amount: 700 }),
    });
    expect(refund.status).toBe(201);
    // A replay moves no money, so it makes no event.
    expect((await api.pay({ amount: 2_500, currency: "eur" }, { key: paid.body.idempotencyKey })).headers.get("idempotent-replayed")).toBe("true");

    const mine = (await allEvents("alice")).filter((e) => e.data.payment.id === paid.body.id);
    expect(mine.map((e) => e.type)).toEqual(["payment.succeeded", "refund.succeeded"]);
    expect(mine[0]!.id).toMatch(/^evt_/);
    expect(mine[1]!.sequence).toBeGreaterThan(mine[0]!.sequence);
    expect(mine[1]!.data).toMatchObject({ amount: -700, refund: { id: refund.body.id, amount: 700 } });
    expect((await allEvents("bob")).some((e) => e.data.payment.id === paid.body.id)).toBe(false);

    const all = await allEvents("alice");
    expect(all.map((e) => e.sequence)).toEqual([...all.map((e) => e.sequence)].sort((a, b) => a - b));
    const page = await eventsOf("alice", "limit=1");
    expect(page.data).toHaveLength(1);
    expect(page.hasMore).toBe(true);
  });

  it("refuses bad pages with a problem", async () => {
    expectProblemShape(await api.request("/api/v1/events?limit=0"), 400, "validation_failed");
    expectProblemShape(await api.request("/api/v1/events?limit=abc"), 400, "validation_failed");
    expectProblemShape(await api.request("/api/v1/events?after=nope"), 400, "validation_failed");
    expectProblemShape(await api.request("/api/v1/events?after=evt_unknown"), 404, "not_found");
    const bobs = (await eventsOf("bob", "limit=1")).data[0];
    if (bobs) expectProblemShape(await api.request(`/api/v1/events?after=${bobs.id}`), 404, "not_found");
    expectProblemShape(await api.request("/api/v1/events", { merchant: null }), 401, "unauthorized");
  });

  it("stores each receipt once at the SHA-256 of its bytes, and a refund makes a new version", async () => {
    const paid = await api.pay({ amount: 4_200, currency: "usd", description: "receipt test" });
    const receiptOf = (version: number) =>
      poll(
        async () => {
          const res = await api.request(`/api/v1/payments/${paid.body.id}/receipt`);
          return res.status === 200 && res.body.version === version ? (res.body as { sha256: string; url: string }) : undefined;
        },
        { timeoutMs: 20_000, message: `receipt v${version} never appeared` },
      );
    const first = await receiptOf(1);
    const document = await api.request(first.url, { merchant: null });
    expect(document.status).toBe(200);
    expect(document.headers.get("content-type")).toContain("application/json");
    // It names a customer: the browser keeps it for good, shared caches never.
    expect(document.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(createHash("sha256").update(document.text, "utf8").digest("hex")).toBe(first.sha256);
    expect(document.body).toMatchObject({ object: "receipt", version: 1, payment: { id: paid.body.id, amount: 4_200 }, net: 4_200 });

    await api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": newKey() },
      body: JSON.stringify({ payment: paid.body.id, amount: 200 }),
    });
    const second = await receiptOf(2);
    expect(second.sha256).not.toBe(first.sha256);
    expect((await api.request(second.url, { merchant: null })).body).toMatchObject({ version: 2, amountRefunded: 200, net: 4_000 });
    // The first version stays where it was: an address names its bytes forever.
    expect((await api.request(first.url, { merchant: null })).text).toBe(document.text);

    // Another merchant cannot find the payment's receipt; unknown and malformed addresses are 404s.
    expectProblemShape(await api.request(`/api/v1/payments/${paid.body.id}/receipt`, { merchant: "bob" }), 404, "not_found");
    expectProblemShape(await api.request(`/api/v1/receipts/${"0".repeat(64)}`, { merchant: null }), 404, "not_found");
    expectProblemShape(await api.request("/api/v1/receipts/not-a-hash", { merchant: null }), 404, "not_found");
  });

  it("the consumers' calls stay out of the dashboard's key list and headline figures", async () => {
    const paid = await api.pay({ amount: 1_100, currency: "usd" });
    await poll(async () => (await api.request(`/api/v1/payments/${paid.body.id}/receipt`)).status === 200, { timeoutMs: 20_000, message: "no receipt" });
    const res = await fetch(`${inject("servers")[database]}/api/trpc/dashboard.records?input=${encodeURIComponent(JSON.stringify({ limit: 200 }))}`);
    const records = ((await res.json()) as { result: { data: { merchant: string }[] } }).result.data;
    expect(records.length).toBeGreaterThan(0);
    expect(records.filter((r) => r.merchant.startsWith("consumer:"))).toEqual([]);
  });

  it("a declined payment is a payment.failed event and makes no receipt", async () => {
    const declined = await api.pay({ amount: 900, currency: "usd", customer: "cus_declined" });
    expect(declined.status).toBe(402);
    const failed = (await allEvents("alice")).filter((e) => e.data.payment.id === declined.body.payment);
    expect(failed.map((e) => e.type)).toEqual(["payment.failed"]);
    expect(failed[0]!.data).toMatchObject({ amount: 0, payment: { status: "failed" } });
    expectProblemShape(await api.request(`/api/v1/payments/${declined.body.payment}/receipt`), 404, "not_found");
  });
});
