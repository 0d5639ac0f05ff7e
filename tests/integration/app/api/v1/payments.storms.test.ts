import { describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient, type HttpResult } from "@/tests/support/api";
import { inFlight } from "@/tests/support/trpc";

const STORM = 100;

// Real concurrent requests: one key, many clients at once, exactly one charge.
describe.each(["postgres", "embedded", "redis"] as const)("storms on %s", (database) => {
  const base = inject("servers")[database];
  const api = apiClient(base);

  function summarize(results: HttpResult[]) {
    const statuses = results.map((r) => r.status);
    return {
      fresh: results.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") !== "true").length,
      other: statuses.filter((s) => s !== 201 && s !== 409),
    };
  }

  it(`${STORM} concurrent REST requests with one key: one payment, the rest replays or 409s, no 5xx`, async () => {
    const key = newKey();
    const before = await api.balance();
    const body = { amount: 4242, currency: "usd" };
    const results = await Promise.all(Array.from({ length: STORM }, () => api.pay(body, { key })));
    const summary = summarize(results);
    expect(summary.other).toEqual([]);
    expect(summary.fresh).toBe(1);
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
    expect(await api.balance()).toBe(before + 4242);
  });

  it(`${STORM} concurrent requests while the first is slow: all but one get 409`, async () => {
    const key = newKey();
    const body = { amount: 4343, currency: "usd" };
    const first = api.pay(body, { key, headers: { "simulate-failure": "delay=3000" } });
    await inFlight(base, key);
    const duplicates = await Promise.all(Array.from({ length: STORM - 1 }, () => api.pay(body, { key })));
    expect(duplicates.map((r) => r.status)).toEqual(Array(STORM - 1).fill(409));
    expect((await first).status).toBe(201);
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("many keys at once: every one charged exactly once", async () => {
    const keys = Array.from({ length: 20 }, newKey);
    const results = await Promise.all(keys.flatMap((key) => [1, 2, 3].map(() => api.pay({ amount: 11, currency: "gbp" }, { key }))));
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    const payments = await api.payments();
    for (const key of keys) expect(payments.filter((p) => p.idempotencyKey === key)).toHaveLength(1);
  });
});
