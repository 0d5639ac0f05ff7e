import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Redis } from "ioredis";
import { newKey, poll } from "@/fixtures";
import { connectRedis, whenReady } from "@/server/db/redis";
import { apiClient } from "@/tests/support/api";
import { anyKeyMatching } from "@/tests/support/redis-keys";

describe.each(["postgres", "embedded", "redis"] as const)("GET /api/metrics on %s", (database) => {
  const api = apiClient(inject("servers")[database]);
  const body = (amount: number) => ({ amount, currency: "usd", description: "contract test", customer: "cus_123" });

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

describe("GET /api/metrics on the server with REDIS_URL", () => {
  const base = () => inject("servers").redis;
  let redis: Redis;
  beforeAll(async () => {
    redis = connectRedis(inject("redisUrl"));
    await whenReady(redis, 5_000);
  });
  afterAll(() => redis?.disconnect());

  /** The server writes its entry after answering; a replay is a hit only once the entry is there. */
  async function cached(key: string): Promise<void> {
    await poll(() => anyKeyMatching(redis, `*${key}*`), {
      timeoutMs: 5_000,
      message: `the server never cached ${key} in Redis`,
    });
  }

  it("counts replays served by the fast path in its metrics", async () => {
    const hits = async () => {
      const text = await (await fetch(`${base()}/api/metrics`)).text();
      return Number(/oncepay_idempotency_fast_path_total\{result="hit"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const api = apiClient(base());
    const key = newKey();
    const first = await api.pay({ amount: 4242, currency: "eur" }, { key });
    await cached(key);
    const before = await hits();
    const replay = await api.pay({ amount: 4242, currency: "eur" }, { key });
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await hits()).toBe(before + 1);
  });
});
