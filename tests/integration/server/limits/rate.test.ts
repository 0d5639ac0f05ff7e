import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import { startServer, type ServerProcess } from "@/fixtures/server-process";
import { apiClient, expectProblemShape, type HttpResult } from "@/tests/support/api";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";
import { deliver, providerEvent } from "@/tests/support/webhooks";

const RATE = 5;
/** Merchants of these tests alone: each starts with no count. */
const MERCHANTS = ["carol", "dave", "erin", "frank"] as const;
type Merchant = (typeof MERCHANTS)[number];
const bearer = (merchant: Merchant) => ({ authorization: `Bearer sk_test_${merchant}` });
/** The policy: twice the rate, per two-second window (bursts up to twice the rate). */
const QUOTA = 2 * RATE;

/**
 * The merchant request rate (contract: "Limits"), counted across all instances: two servers on one
 * PostgreSQL, sharing their counters in Redis, or without Redis in PostgreSQL itself.
 */
describe.each(["redis", "postgres"] as const)("MERCHANT_RATE_LIMIT across two instances (counters in %s)", (store) => {
  let database: ScratchDatabase;
  let provider: SimulatorProcess;
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    [database, provider] = await Promise.all([createScratchDatabase(), startSimulatorProcess()]);
    const env = {
      PROVIDER_URL: provider.url,
      MERCHANT_RATE_LIMIT: String(RATE),
      ONCEPAY_MERCHANTS: MERCHANTS.map((m) => `${m}:sk_test_${m}`).join(","),
      ...(store === "redis" ? { REDIS_URL: inject("redisUrl") } : {}),
    };
    servers = await Promise.all([startServer({ databaseUrl: database.url, env }), startServer({ databaseUrl: database.url, env })]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await provider?.stop();
    await database?.drop();
  });

  const balance = (i: number, merchant: Merchant) => apiClient(servers[i % 2]!.url).request("/api/v1/balance", { merchant: null, headers: bearer(merchant) });

  /** Waits out the merchant's window: its next request opens a new one. */
  async function freshWindow(merchant: Merchant) {
    await poll(async () => (await balance(0, merchant)).status === 200, { timeoutMs: 5_000, intervalMs: 250, message: "never admitted again" });
    // That request opened a window of its own: wait it out too, so the burst starts a window.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
  }

  it("a burst over both instances is admitted up to the quota once, not once per instance; beyond it 429 with Retry-After and RateLimit headers", async () => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 4 * QUOTA }, (_, i) => balance(i, "carol")));
    const elapsed = Date.now() - started;
    const admitted = answers.filter((a) => a.status === 200).length;
    const refused = answers.filter((a) => a.status === 429);
    expect(admitted + refused.length).toBe(answers.length);
    // One window holds QUOTA; a burst that outlasted its window may reach into the next one.
    if (elapsed < 1_800) expect(admitted).toBe(QUOTA);
    else expect(admitted).toBeLessThanOrEqual(2 * QUOTA);
    const sample = refused[0]!;
    expectProblemShape(sample, 429, "rate_limited");
    const retryAfter = Number(sample.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2).toBe(true);
    expect(sample.headers.get("ratelimit-policy")).toBe(`"merchant";q=${QUOTA};w=2`);
    expect(sample.headers.get("ratelimit")).toBe(`"merchant";r=0;t=${retryAfter}`);
    // Another merchant has its own count.
    expect((await balance(1, "frank")).status).toBe(200);
  });

  it("a payment refused by the rate claims nothing: the same key later executes", async () => {
    await freshWindow("dave");
    const api = apiClient(servers[0]!.url);
    const flood = await Promise.all(Array.from({ length: QUOTA }, (_, i) => balance(i, "dave")));
    expect(flood.every((a) => a.status === 200)).toBe(true);
    const key = newKey();
    const refused = await api.pay({ amount: 500, currency: "usd" }, { key, merchant: null, headers: bearer("dave") });
    expectProblemShape(refused, 429, "rate_limited");
    const later = await poll(
      async () => {
        const res = await api.pay({ amount: 500, currency: "usd" }, { key, merchant: null, headers: bearer("dave") });
        return res.status !== 429 && res;
      },
      { timeoutMs: 5_000, intervalMs: 250, message: "never admitted again" },
    );
    expect(later.status).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
  });

  it("tRPC calls count too, and are answered 429 with the same headers", async () => {
    await freshWindow("erin");
    const trpc = (i: number): Promise<HttpResult> =>
      fetch(`${servers[i % 2]!.url}/api/trpc/balance.get`, { headers: bearer("erin") }).then(async (res) => ({
        status: res.status,
        headers: res.headers,
        text: await res.text(),
        body: undefined,
      }));
    const answers = await Promise.all(Array.from({ length: 2 * QUOTA }, (_, i) => trpc(i)));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(QUOTA - 1);
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.headers.get("ratelimit-policy")).toBe(`"merchant";q=${QUOTA};w=2`);
    expect(refused[0]!.text).toContain("rate_limited");
  });

  it("webhooks are not limited by merchant caps", async () => {
    const flood = await Promise.all(Array.from({ length: 2 * QUOTA }, (_, i) => balance(i, "frank")));
    expect(flood.some((a) => a.status === 429)).toBe(true);
    const event = providerEvent("payment_intent.succeeded", { id: `pi_${newKey()}`, object: "payment_intent", metadata: {} });
    const deliveries = await Promise.all(Array.from({ length: 2 * QUOTA }, (_, i) => deliver(servers[i % 2]!.url, { ...event, id: `${event.id}_${i}` })));
    for (const d of deliveries) expect(d.status).toBe(200);
  });
});
