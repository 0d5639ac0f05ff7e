import { describe, expect, inject, it } from "vitest";
import { apiClient, expectProblemShape } from "@/tests/support/api";
import { startServer } from "@/fixtures/server-process";

describe.each(["postgres", "embedded", "redis"] as const)("GET /api/health on %s", (database) => {
  const api = apiClient(inject("servers")[database]);

  it("GET /api/health answers 200 while the database does", async () => {
    const res = await api.request("/api/health", { merchant: null });
    expect(res.status).toBe(200);
  });
});

describe("GET /api/health on the server with REDIS_URL", () => {
  it("reports Redis in its health check", async () => {
    const health = await (await fetch(`${inject("servers").redis}/api/health`)).json();
    expect(health).toEqual({ status: "ok", database: "postgresql", redis: "ok" });
  });
});

describe("GET /api/health with the database down", () => {
  it("with the database down: health is 503 and a payment is a 503 problem, never a 500", async () => {
    const server = await startServer({
      databaseUrl: "postgresql://postgres@127.0.0.1:1/nowhere",
      readyWhenListening: true,
    });
    try {
      const api = apiClient(server.url);
      const health = await api.request("/api/health", { merchant: null });
      expectProblemShape(health, 503, "database_unavailable");
      const res = await api.pay({ amount: 10, currency: "usd" });
      expectProblemShape(res, 503, "database_unavailable");
    } finally {
      await server.stop();
    }
  });
});
