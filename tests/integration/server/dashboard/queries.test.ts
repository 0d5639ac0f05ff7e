import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, type ApiClient } from "@/tests/support/api";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";
import { startServer, type ServerProcess } from "@/fixtures/server-process";
import { inFlight, trpcClient, type TrpcClient } from "@/tests/support/trpc";

// A known mix of requests against a server with a database of its own, then the dashboard's numbers.
describe("dashboard", () => {
  let db: ScratchDatabase;
  let server: ServerProcess;
  let api: ApiClient;
  let trpc: TrpcClient;
  const dashboard = () => trpc.dashboard;
  const prefix = `dash-${randomUUID().slice(0, 8)}`;
  const k = (n: number) => `${prefix}-k${n}`;

  beforeAll(async () => {
    db = await createScratchDatabase();
    server = await startServer({ databaseUrl: db.url });
    api = apiClient(server.url);
    trpc = trpcClient(server.url);
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
    await inFlight(server.url, k(5));
    await api.pay(usd(500), { key: k(5) }); // conflict
    await slow;
    await api.pay(usd(500), { key: k(5) }); // replayed (protects 500)
    await api.pay(usd(1), { key: null }); // rejected: no key
    await api.pay("{oops", { key: k(8) }); // rejected: not JSON
    await api.pay(usd(1), { key: k(9), merchant: null, headers: { authorization: "Bearer nope" } }); // rejected: 401, no merchant
    await api.pay(usd(600), { key: k(6), headers: { "simulate-failure": "fail-before-commit" } }); // failed
    await api.pay(usd(600), { key: k(6) }); // executed
    await trpc.payment.create.mutate({ idempotencyKey: k(7), amount: 700, currency: "usd" }); // executed
    await trpc.payment.create.mutate({ idempotencyKey: k(7), amount: 700, currency: "usd" }); // replayed (protects 700)
    await api.pay(usd(800), { key: k(10), headers: { "simulate-failure": "lost-response" } }); // executed (answer lost: 502)
    await api.pay(usd(800), { key: k(10) }); // replayed (protects 800)
    // Not a merchant's call: a webhook (refused, unsigned) is the Provider panel's, never in the summary or the series.
    expect((await fetch(`${server.url}/api/v1/webhooks/provider`, { method: "POST", body: "{}" })).status).toBe(400);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("summary counts every outcome exactly, for all merchants and for one", async () => {
    await expect
      .poll(
        () =>
          dashboard()
            .summary.query({ window: "5m" })
            .then((s) => s.requests),
        { timeout: 5000 },
      )
      .toBe(20);
    const all = await dashboard().summary.query({ window: "5m" });
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
    const alice = await dashboard().summary.query({ window: "5m", merchant: "alice" });
    expect(alice).toMatchObject({ requests: 19, rejected: 2 });
    const bob = await dashboard().summary.query({ window: "5m", merchant: "bob" });
    expect(bob.requests).toBe(0);
  });

  it("timeseries buckets add up to the summary, with latency percentiles", async () => {
    const points = await dashboard().timeseries.query({ window: "5m" });
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
    const rows = await dashboard().records.query({ search: prefix });
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(Object.keys(byKey).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 10].map(k).sort());
    expect(byKey[k(1)]).toMatchObject({ state: "completed", requests: 3, executions: 1, responseStatus: 201, paymentId: expect.stringMatching(/^pay_/) });
    expect(byKey[k(2)]).toMatchObject({ requests: 2 });
    expect(byKey[k(4)]).toMatchObject({ responseStatus: 402, requests: 2 });
    expect(byKey[k(5)]).toMatchObject({ requests: 3 });
    expect(byKey[k(6)]).toMatchObject({ state: "completed", requests: 2, executions: 2 });
    expect(await dashboard().records.query({ search: prefix, state: "released" })).toEqual([]);
    expect(await dashboard().records.query({ search: prefix, state: "in_progress" })).toEqual([]);
    const one = await dashboard().records.query({ search: `${prefix}-k5` });
    expect(one.map((r) => r.key)).toEqual([k(5)]);
  });

  it("records: an event consumer's keys (scope consumer:<name>) are never a merchant's, logged or in flight", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // As server/events/consumer.ts leaves them: one key logged and completed, one claimed and in flight.
      await client.query(
        `INSERT INTO request_log (merchant_id, operation, idempotency_key, outcome, status, latency_ms, via)
         VALUES ('consumer:receipts', 'event.consume', $1, 'executed', 200, 1, 'consumer')`,
        [k(20)],
      );
      await client.query(
        `INSERT INTO idempotency_records (id, scope, operation, key, fingerprint, state, expires_at)
         VALUES (gen_random_uuid(), 'consumer:receipts', 'event.consume', $1, 'fp', 'completed', now() + interval '1 day'),
                (gen_random_uuid(), 'consumer:receipts', 'event.consume', $2, 'fp', 'in_progress', now() + interval '1 day')`,
        [k(20), k(21)],
      );
    } finally {
      await client.end();
    }
    const keys = (await dashboard().records.query({ search: prefix })).map((r) => r.key);
    expect(keys).not.toContain(k(20));
    expect(keys).not.toContain(k(21));
    expect(keys).toContain(k(1));
    // Asked for by their scope, they are there: only the all-merchants view leaves them out.
    const asScope = await dashboard().records.query({ merchant: "consumer:receipts", search: prefix });
    expect(asScope.map((r) => r.key).sort()).toEqual([k(20), k(21)].sort());
  });

  it("a key's timeline: every attempt in order, with the stored response", async () => {
    const timeline = await dashboard().keyTimeline.query({ merchant: "alice", operation: "payment.create", key: k(5) });
    expect(timeline.requests.map((a) => [a.outcome, a.status])).toEqual([
      ["executed", 201],
      ["conflict", 409],
      ["replayed", 201],
    ]);
    expect(timeline.requests[0]!.latencyMs).toBeGreaterThanOrEqual(1500);
    expect(timeline.record).toMatchObject({ state: "completed", responseStatus: 201 });
    expect(JSON.parse(timeline.record!.responseBody!)).toMatchObject({ id: timeline.record!.paymentId, amount: 500 });
    const failedFirst = await dashboard().keyTimeline.query({ merchant: "alice", operation: "payment.create", key: k(6) });
    expect(failedFirst.requests.map((a) => [a.outcome, a.status])).toEqual([
      ["failed", 503],
      ["executed", 201],
    ]);
    // A lost response is still the execution; its retry is the replay.
    const lost = await dashboard().keyTimeline.query({ merchant: "alice", operation: "payment.create", key: k(10) });
    expect(lost.requests.map((a) => [a.outcome, a.status])).toEqual([
      ["executed", 502],
      ["replayed", 201],
    ]);
  });
});
