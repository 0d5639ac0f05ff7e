import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, type ApiClient } from "../support/api";
import { createScratchDatabase, type ScratchDatabase } from "../support/scratch-db";
import { startServer, type ServerProcess } from "../support/server-process";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A known mix of requests against a server with a database of its own, then the dashboard's numbers.
describe("dashboard", () => {
  let db: ScratchDatabase;
  let server: ServerProcess;
  let api: ApiClient;
  const prefix = `dash-${randomUUID().slice(0, 8)}`;
  const k = (n: number) => `${prefix}-k${n}`;

  async function query<T>(path: string, input: unknown): Promise<T> {
    const res = await api.request(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { merchant: null });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.text}`);
    return res.body.result.data as T;
  }

  beforeAll(async () => {
    db = await createScratchDatabase();
    server = await startServer({ databaseUrl: db.url });
    api = apiClient(server.url);
    const usd = (amount: number) => ({ amount, currency: "usd" });
    await api.pay(usd(100), { key: k(1) }); // executed
    await api.pay(usd(200), { key: k(2) }); // executed
    await api.pay(usd(300), { key: k(3) }); // executed
    await api.pay(usd(100), { key: k(1) }); // replayed (protects 100)
    await api.pay(usd(100), { key: k(1) }); // replayed (protects 100)
    await api.pay({ ...usd(400), customer: "cus_declined" }, { key: k(4) }); // executed (402)
    await api.pay({ ...usd(400), customer: "cus_declined" }, { key: k(4) }); // replayed (402: protects nothing)
    await api.pay(usd(201), { key: k(2) }); // mismatch
    const slow = api.pay(usd(500), { key: k(5), headers: { "simulate-failure": "delay=1500" } }); // executed
    await sleep(400);
    await api.pay(usd(500), { key: k(5) }); // conflict
    await slow;
    await api.pay(usd(500), { key: k(5) }); // replayed (protects 500)
    await api.pay(usd(1), { key: null }); // rejected: no key
    await api.pay("{oops", { key: k(8) }); // rejected: not JSON
    await api.pay(usd(1), { key: k(9), merchant: null, headers: { authorization: "Bearer nope" } }); // rejected: 401, no merchant
    await api.pay(usd(600), { key: k(6), headers: { "simulate-failure": "fail-before-commit" } }); // failed
    await api.pay(usd(600), { key: k(6) }); // executed
    await api.trpcMutation("payment.create", { idempotencyKey: k(7), ...usd(700) }); // executed
    await api.trpcMutation("payment.create", { idempotencyKey: k(7), ...usd(700) }); // replayed (protects 700)
    await api.pay(usd(800), { key: k(10), headers: { "simulate-failure": "lost-response" } }); // executed (answer lost: 502)
    await api.pay(usd(800), { key: k(10) }); // replayed (protects 800)
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("summary counts every outcome exactly, for all merchants and for one", async () => {
    await expect.poll(() => query<{ requests: number }>("dashboard.summary", { window: "5m" }).then((s) => s.requests), { timeout: 5000 }).toBe(20);
    const all = await query("dashboard.summary", { window: "5m" });
    expect(all).toEqual({
      requests: 20,
      executed: 8,
      replayed: 6,
      conflicts: 1,
      mismatches: 1,
      rejected: 3,
      failed: 1,
      replayRate: 6 / 14,
      duplicatesPrevented: 7,
      moneyProtected: [{ currency: "usd", amount: 2200 }],
    });
    const alice = await query<{ requests: number; rejected: number }>("dashboard.summary", { window: "5m", merchant: "alice" });
    expect(alice).toMatchObject({ requests: 19, rejected: 2 });
    const bob = await query<{ requests: number }>("dashboard.summary", { window: "5m", merchant: "bob" });
    expect(bob.requests).toBe(0);
  });

  it("timeseries buckets add up to the summary, with latency percentiles", async () => {
    const points = await query<{ t: string; executed: number; replayed: number; conflict: number; freshP50: number | null; replayP99: number | null }[]>(
      "dashboard.timeseries",
      { window: "5m" },
    );
    expect(points.length).toBeGreaterThanOrEqual(30);
    expect(points.reduce((s, p) => s + p.executed, 0)).toBe(8);
    expect(points.reduce((s, p) => s + p.replayed, 0)).toBe(6);
    expect(points.reduce((s, p) => s + p.conflict, 0)).toBe(1);
    expect(points.some((p) => p.freshP50 !== null && p.freshP50 > 0)).toBe(true);
    expect(points.some((p) => p.replayP99 !== null)).toBe(true);
    const times = points.map((p) => Date.parse(p.t));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("records: state, requests and the linked payment; filters by state and key", async () => {
    const rows = await query<{ key: string; state: string; requests: number; executions: number; responseStatus: number; paymentId: string | null }[]>(
      "dashboard.records",
      { search: prefix },
    );
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(Object.keys(byKey).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 10].map(k).sort());
    expect(byKey[k(1)]).toMatchObject({ state: "completed", requests: 3, executions: 1, responseStatus: 201, paymentId: expect.stringMatching(/^pay_/) });
    expect(byKey[k(2)]).toMatchObject({ requests: 2 });
    expect(byKey[k(4)]).toMatchObject({ responseStatus: 402, requests: 2 });
    expect(byKey[k(5)]).toMatchObject({ requests: 3 });
    expect(byKey[k(6)]).toMatchObject({ state: "completed", requests: 2, executions: 2 });
    expect(await query<unknown[]>("dashboard.records", { search: prefix, state: "released" })).toEqual([]);
    expect(await query<unknown[]>("dashboard.records", { search: prefix, state: "in_progress" })).toEqual([]);
    const one = await query<{ key: string }[]>("dashboard.records", { search: `${prefix}-k5` });
    expect(one.map((r) => r.key)).toEqual([k(5)]);
  });

  it("a key's timeline: every attempt in order, with the stored response", async () => {
    const timeline = await query<{ record: { state: string; responseStatus: number; responseBody: string; paymentId: string }; requests: { outcome: string; status: number; latencyMs: number }[] }>(
      "dashboard.keyTimeline",
      { merchant: "alice", operation: "payment.create", key: k(5) },
    );
    expect(timeline.requests.map((a) => [a.outcome, a.status])).toEqual([
      ["executed", 201],
      ["conflict", 409],
      ["replayed", 201],
    ]);
    expect(timeline.requests[0]!.latencyMs).toBeGreaterThanOrEqual(1500);
    expect(timeline.record).toMatchObject({ state: "completed", responseStatus: 201 });
    expect(JSON.parse(timeline.record.responseBody)).toMatchObject({ id: timeline.record.paymentId, amount: 500 });
    const failedFirst = await query<{ requests: { outcome: string; status: number }[] }>("dashboard.keyTimeline", { merchant: "alice", operation: "payment.create", key: k(6) });
    expect(failedFirst.requests.map((a) => [a.outcome, a.status])).toEqual([
      ["failed", 503],
      ["executed", 201],
    ]);
    // A lost response is still the execution; its retry is the replay.
    const lost = await query<{ requests: { outcome: string; status: number }[] }>("dashboard.keyTimeline", { merchant: "alice", operation: "payment.create", key: k(10) });
    expect(lost.requests.map((a) => [a.outcome, a.status])).toEqual([
      ["executed", 502],
      ["replayed", 201],
    ]);
  });
});
