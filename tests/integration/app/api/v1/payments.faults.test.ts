import { describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient, expectProblemShape } from "@/tests/support/api";
import { createScratchDatabase } from "@/tests/support/scratch-db";
import { startServer } from "@/fixtures/server-process";
import { inFlight } from "@/tests/support/trpc";

// Simulate-Failure over real HTTP: transient failures save nothing, a lost answer is replayed.
describe.each(["postgres", "embedded", "redis"] as const)("POST /api/v1/payments with faults on %s", (database) => {
  const base = inject("servers")[database];
  const api = apiClient(base);
  const body = (amount = 1234) => ({ amount, currency: "usd", description: "contract test", customer: "cus_123" });

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
    const slowKey = newKey();
    const slow = api.pay(body(10), { key: slowKey, headers: { "simulate-failure": "delay=1500" } }).then((r) => (order.push("slow"), r));
    await inFlight(base, slowKey);
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
});

describe("POST /api/v1/payments without FAULT_INJECTION", () => {
  it("without FAULT_INJECTION=1 the Simulate-Failure header is ignored", async () => {
    const db = await createScratchDatabase();
    const server = await startServer({ databaseUrl: db.url, env: { FAULT_INJECTION: "0" } });
    try {
      const api = apiClient(server.url);
      const res = await api.pay({ amount: 10, currency: "usd" }, { headers: { "simulate-failure": "fail-before-commit" } });
      expect(res.status).toBe(201);
      const garbage = await api.pay({ amount: 10, currency: "usd" }, { headers: { "simulate-failure": "explode" } });
      expect(garbage.status).toBe(201);
    } finally {
      await server.stop();
      await db.drop();
    }
  });
});
