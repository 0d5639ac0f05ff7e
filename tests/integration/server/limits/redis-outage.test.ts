import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { privateRedis, type PrivateRedis } from "@/fixtures/redis-server";
import { startSimulatorProcess, type SimulatorProcess } from "@/fixtures/simulator-process";
import { startServer, type ServerProcess } from "@/fixtures/server-process";
import { apiClient } from "@/tests/support/api";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";

/** Contract "Outages": Redis unreachable, only slower. The merchant rate falls back to this instance's memory. */
describe("MERCHANT_RATE_LIMIT with Redis gone", () => {
  let redis: PrivateRedis;
  let database: ScratchDatabase;
  let provider: SimulatorProcess;
  let server: ServerProcess;
  beforeAll(async () => {
    [redis, database, provider] = await Promise.all([privateRedis(), createScratchDatabase(), startSimulatorProcess()]);
    server = await startServer({ databaseUrl: database.url, env: { PROVIDER_URL: provider.url, REDIS_URL: redis.url, MERCHANT_RATE_LIMIT: "5" } });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
    await provider?.stop();
    await database?.drop();
  });

  it("still limits, from memory, and never answers 5xx; payments go on", async () => {
    const api = apiClient(server.url);
    expect((await api.pay({ amount: 100, currency: "usd" }, { key: newKey() })).status).toBe(201);
    await redis.stop();
    const answers = await Promise.all(Array.from({ length: 30 }, () => api.request("/api/v1/balance", { merchant: "bob" })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
    expect(statuses).toContain(429);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.headers.get("ratelimit-policy")).toBe('"merchant";q=10;w=2');
    // Alice's payments are not refused by bob's flood, nor failed by Redis's absence.
    expect((await api.pay({ amount: 100, currency: "usd" }, { key: newKey() })).status).toBe(201);
  });
});
