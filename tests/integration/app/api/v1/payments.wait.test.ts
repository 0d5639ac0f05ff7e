import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { startServer, type ServerProcess } from "@/fixtures/server-process";
import { apiClient, expectProblemShape, type HttpResult } from "@/tests/support/api";
import { createScratchDatabase, type ScratchDatabase } from "@/tests/support/scratch-db";
import { inFlight, trpcClient } from "@/tests/support/trpc";

const body = (amount: number) => ({ amount, currency: "usd" as const });

/** Sends the original (held `delay` ms after its claim) and, once it is in flight, a duplicate asking to wait. */
async function originalAndWaiter(original: string, duplicate: string, delay: number, wait: number) {
  const key = newKey();
  const amount = 700 + Math.floor(Math.random() * 100);
  const first = apiClient(original)
    .pay(body(amount), { key, headers: { "simulate-failure": `delay=${delay}` } })
    .then((res) => ({ res, at: performance.now() }));
  await inFlight(original, key);
  const asked = performance.now();
  const second = await apiClient(duplicate).pay(body(amount), { key, headers: { prefer: `wait=${wait}` } });
  const answered = performance.now();
  return { key, first: await first, second, asked, answered };
}

function expectWaitedReplay(first: HttpResult, second: HttpResult, wait: number): void {
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  expect(second.text).toBe(first.text);
  expect(second.headers.get("idempotent-replayed")).toBe("true");
  expect(second.headers.get("preference-applied")).toBe(`wait=${wait}`);
}

// Contract: "Waiting instead of 409". A duplicate that finds its key in flight and carries
// `Prefer: wait=N` waits for the original and is answered as its replay, woken by its commit.
describe.each(["postgres", "embedded", "redis"] as const)("Prefer: wait on %s", (database) => {
  const base = inject("servers")[database];

  it("a waiting duplicate gets the original's answer as a replay, as soon as it commits", async () => {
    const { first, second, answered } = await originalAndWaiter(base, base, 1_500, 10);
    expectWaitedReplay(first.res, second, 10);
    console.log(`${database}: the waiting duplicate answered ${Math.round(answered - first.at)} ms after the original`);
    expect(Math.abs(answered - first.at)).toBeLessThan(1_000); // woken by the commit, not by its 10 s deadline
  });

  it("the original still running after N seconds: the usual 409 with Retry-After", async () => {
    const { first, second, asked, answered } = await originalAndWaiter(base, base, 3_000, 1);
    expectProblemShape(second, 409, "idempotency_key_in_use");
    expect(second.headers.get("retry-after")).toBeTruthy();
    expect(second.headers.get("preference-applied")).toBe("wait=1");
    expect(answered - asked).toBeGreaterThanOrEqual(950);
    expect(first.res.status).toBe(201);
  });

  it("tRPC payment.create waits too, and says so", async () => {
    const key = newKey();
    const headers: Record<string, string | null>[] = [];
    const original = trpcClient(base, { headers: { "simulate-failure": "delay=1500" } }).payment.create.mutate({ ...body(910), idempotencyKey: key });
    await inFlight(base, key);
    const waiter = trpcClient(base, {
      headers: { prefer: "wait=10" },
      onResponse: (r) => headers.push({ replayed: r.headers.get("idempotent-replayed"), applied: r.headers.get("preference-applied") }),
    });
    const replay = await waiter.payment.create.mutate({ ...body(910), idempotencyKey: key });
    const made = await original;
    expect(replay).toMatchObject({ id: made.id, idempotentReplayed: true });
    expect(headers).toEqual([{ replayed: "true", applied: "wait=10" }]);
  });

  it("without the header nothing changes: a 409 at once", async () => {
    const key = newKey();
    const original = apiClient(base).pay(body(640), { key, headers: { "simulate-failure": "delay=1500" } });
    await inFlight(base, key);
    const conflict = await apiClient(base).pay(body(640), { key });
    expectProblemShape(conflict, 409, "idempotency_key_in_use");
    expect(conflict.headers.get("preference-applied")).toBeNull();
    expect((await original).status).toBe(201);
  });
});

// Two instances on one PostgreSQL: the original runs on one, the duplicate waits on the other and
// is woken by the original's NOTIFY, delivered at its commit.
describe("Prefer: wait across instances", () => {
  let database: ScratchDatabase;
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    database = await createScratchDatabase();
    servers = await Promise.all([startServer({ databaseUrl: database.url }), startServer({ databaseUrl: database.url })]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database?.drop();
  });

  it("the duplicate on the other instance answers within moments of the original's commit", async () => {
    const gaps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { first, second, answered } = await originalAndWaiter(servers[0]!.url, servers[1]!.url, 1_000, 10);
      expectWaitedReplay(first.res, second, 10);
      gaps.push(Math.round(answered - first.at));
    }
    console.log(`across instances: the waiting duplicate answered ${gaps.join(", ")} ms after the original`);
    for (const gap of gaps) expect(Math.abs(gap)).toBeLessThan(1_000);
  });
});
