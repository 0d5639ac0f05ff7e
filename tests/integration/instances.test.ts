import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, expectProblemShape, newKey } from "../support/api";
import { createScratchDatabase, type ScratchDatabase } from "../support/scratch-db";
import { startServer, type ServerProcess } from "../support/server-process";

const LOCK_TIMEOUT = 2;
const TTL = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Two app instances on one PostgreSQL, short leases and retention: crash recovery, takeover, expiry.
describe("several instances on one PostgreSQL", () => {
  let db: ScratchDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const env = { IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT), IDEMPOTENCY_TTL_SECONDS: String(TTL) };

  beforeAll(async () => {
    db = await createScratchDatabase();
    [a, b] = await Promise.all([startServer({ databaseUrl: db.url, env }), startServer({ databaseUrl: db.url, env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  async function record(key: string) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT state, executions FROM idempotency_records WHERE key = $1", [key]);
      return rows[0] as { state: string; executions: number } | undefined;
    } finally {
      await client.end();
    }
  }

  it("a replay is served by whichever instance is asked", async () => {
    const key = newKey();
    const first = await apiClient(a.url).pay({ amount: 100, currency: "usd" }, { key });
    const again = await apiClient(b.url).pay({ amount: 100, currency: "usd" }, { key });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("a storm split across two instances charges once", async () => {
    const key = newKey();
    const body = { amount: 5050, currency: "usd" };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => apiClient(i % 2 ? a.url : b.url).pay(body, { key })),
    );
    expect(results.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
    expect(results.filter((r) => r.status === 201 && !r.headers.get("idempotent-replayed"))).toHaveLength(1);
    expect(await apiClient(a.url).paymentsWithKey(key)).toHaveLength(1);
  });

  it("an executor killed mid-flight holds the key until its lease runs out, then a retry takes over", async () => {
    const crashing = await startServer({ databaseUrl: db.url, env });
    const key = newKey();
    const body = { amount: 6060, currency: "usd" };
    const doomed = apiClient(crashing.url).pay(body, { key, headers: { "simulate-failure": "delay=30000" } }).catch((e: unknown) => e);
    await sleep(400);
    await crashing.kill();
    await doomed;
    const started = Date.now();
    const api = apiClient(b.url);
    expectProblemShape(await api.pay(body, { key }), 409, "idempotency_key_in_use");
    expect(await record(key)).toMatchObject({ state: "in_progress", executions: 1 });
    await sleep(LOCK_TIMEOUT * 1000 - (Date.now() - started) + 300);
    const retry = await api.pay(body, { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await record(key)).toMatchObject({ state: "completed", executions: 2 });
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a slow executor overtaken after its lease loses cleanly: one payment, both clients get it", async () => {
    const key = newKey();
    const body = { amount: 7070, currency: "usd" };
    const slow = apiClient(a.url).pay(body, { key, headers: { "simulate-failure": "delay=3500" } });
    await sleep(LOCK_TIMEOUT * 1000 + 400);
    const takeover = await apiClient(b.url).pay(body, { key });
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get("idempotent-replayed")).toBeNull();
    const original = await slow;
    expect(original.status).toBe(201);
    expect(original.body.id).toBe(takeover.body.id);
    expect(original.headers.get("idempotent-replayed")).toBe("true");
    expect(await apiClient(a.url).paymentsWithKey(key)).toHaveLength(1);
  });

  it("after the retention period the key may be used again", async () => {
    const key = newKey();
    const api = apiClient(a.url);
    const first = await api.pay({ amount: 8080, currency: "usd" }, { key });
    await sleep(TTL * 1000 + 300);
    const later = await apiClient(b.url).pay({ amount: 8181, currency: "usd" }, { key });
    expect(later.status).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(later.body.id).not.toBe(first.body.id);
    expect(await api.paymentsWithKey(key)).toHaveLength(2);
  });
});

describe("configuration edges", () => {
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

  it("the embedded database keeps payments and replays across a restart", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dataDir = mkdtempSync(path.join(tmpdir(), "oncepay-restart-"));
    const key = newKey();
    const first = await startServer({ dataDir });
    const created = await apiClient(first.url).pay({ amount: 999, currency: "eur" }, { key });
    await first.stop();
    const second = await startServer({ dataDir });
    try {
      const again = await apiClient(second.url).pay({ amount: 999, currency: "eur" }, { key });
      expect(again.text).toBe(created.text);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
    } finally {
      await second.stop();
    }
  });
});
