import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { apiClient, expectProblemShape, type HttpResult } from "@/tests/support/api";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

const LOCK_TIMEOUT = 2;
// The least the configuration allows: twice the lock timeout and the processing timeout.
const TTL = 4;

// App instances on one PostgreSQL with short leases: crash recovery, takeover, expiry.
describe("several instances on one PostgreSQL", () => {
  let db: ScratchDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  // Retention stays long here: a storm on two cold instances outlasts a few seconds, and its late
  // requests would find the key free again. The retention test completes on a short-TTL instance.
  const env = { IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT) };

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

  const claimed = (key: string) =>
    poll(async () => (await record(key))?.state === "in_progress", { timeoutMs: 15_000, intervalMs: 25, message: `${key} was never claimed` });

  /** Sends `send` until its answer is not `refused`: duplicates are harmless, so asking again is the way to wait. */
  const untilNot = (refused: number, send: () => Promise<HttpResult>, timeoutMs: number, message: string) =>
    poll(
      async () => {
        const res = await send();
        return res.status !== refused && res;
      },
      { timeoutMs, intervalMs: 100, message },
    );

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
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => apiClient(i % 2 ? a.url : b.url).pay(body, { key })));
    expect(results.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
    expect(results.filter((r) => r.status === 201 && !r.headers.get("idempotent-replayed"))).toHaveLength(1);
    expect(await apiClient(a.url).paymentsWithKey(key)).toHaveLength(1);
  });

  it("an executor killed mid-flight holds the key until its lease runs out, then a retry takes over", async () => {
    const crashing = await startServer({ databaseUrl: db.url, env });
    const key = newKey();
    const body = { amount: 6060, currency: "usd" };
    const doomed = apiClient(crashing.url)
      .pay(body, { key, headers: { "simulate-failure": "delay=30000" } })
      .catch((e: unknown) => e);
    await claimed(key);
    await crashing.kill();
    await doomed;
    const api = apiClient(b.url);
    expectProblemShape(await api.pay(body, { key }), 409, "idempotency_key_in_use");
    expect(await record(key)).toMatchObject({ state: "in_progress", executions: 1 });
    const retry = await untilNot(409, () => api.pay(body, { key }), LOCK_TIMEOUT * 1000 + 5_000, "no retry took the key over after the lease");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await record(key)).toMatchObject({ state: "completed", executions: 2 });
    expect(await api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("a slow executor overtaken after its lease loses cleanly: one payment, both clients get it", async () => {
    const key = newKey();
    const body = { amount: 7070, currency: "usd" };
    const slow = apiClient(a.url).pay(body, { key, headers: { "simulate-failure": "delay=3500" } });
    await claimed(key);
    const takeover = await untilNot(
      409,
      () => apiClient(b.url).pay(body, { key }),
      LOCK_TIMEOUT * 1000 + 1_000,
      "no request took the key over after the lease",
    );
    expect(takeover.status).toBe(201);
    expect(takeover.headers.get("idempotent-replayed")).toBeNull();
    const original = await slow;
    expect(original.status).toBe(201);
    expect(original.body.id).toBe(takeover.body.id);
    expect(original.headers.get("idempotent-replayed")).toBe("true");
    expect(await apiClient(a.url).paymentsWithKey(key)).toHaveLength(1);
  });

  it("after the retention period the key may be used again", async () => {
    const brief = await startServer({
      databaseUrl: db.url,
      env: { ...env, IDEMPOTENCY_TTL_SECONDS: String(TTL), PROCESSING_TIMEOUT_SECONDS: String(LOCK_TIMEOUT) },
    });
    try {
      const key = newKey();
      const api = apiClient(brief.url);
      const first = await api.pay({ amount: 8080, currency: "usd" }, { key });
      // Another body: 422 while the first is retained, a new payment once it is not.
      const later = await untilNot(
        422,
        () => apiClient(b.url).pay({ amount: 8181, currency: "usd" }, { key }),
        TTL * 1000 + 5_000,
        "the key was never free again",
      );
      expect(later.status).toBe(201);
      expect(later.headers.get("idempotent-replayed")).toBeNull();
      expect(later.body.id).not.toBe(first.body.id);
      expect(await api.paymentsWithKey(key)).toHaveLength(2);
    } finally {
      await brief.stop();
    }
  });
});
