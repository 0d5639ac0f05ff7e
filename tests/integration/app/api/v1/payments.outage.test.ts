import { describe, expect, it } from "vitest";
import { newKey, poll, sleep } from "@/fixtures";
import { useClusterStack } from "@/tests/support/cluster-stack";
import { apiClient, expectProblemShape, type HttpResult } from "@/tests/support/api";
import { alive, escapedErrors } from "@/fixtures/server-process";

const CLIENTS = 40;
const RESTARTS = 2;
/** Below the list endpoint's limit of 100, so one GET /api/v1/payments shows every payment of a client. */
const KEYS_PER_CLIENT = 90;
/** A claim whose release died with the database holds its key this long: short, so settling is quick. */
const LOCK_TIMEOUT_SECONDS = 2;
/** The contract: an unreachable database is answered within 5 s. */
const ANSWER_WITHIN_MS = 5_000;
/**
 * Under 40 clients on two cores a request can queue for seconds before and inside its handler
 * (measured: 201s up to 4.9 s, a 503's handler 2.7 s of its 4.3 s), so under load the bound only
 * catches a request stuck on a dead connection. The 5 s of the contract is asserted with
 * PostgreSQL stopped, where nothing else competes, and frozen (payments.frozen.test.ts).
 */
const ANSWER_UNDER_LOAD_WITHIN_MS = 10_000;
/** What the contract documents as a 503 (the simulated failure is not requested here). */
const DOCUMENTED_503 = new Set(["database_unavailable", "idempotency_contention"]);

// Each client is its own merchant, so its payments are exactly what GET /api/v1/payments lists for
// it; the last merchant stays unused until the database is down, so authenticating it needs the database.
const merchants = Array.from({ length: CLIENTS + 1 }, (_, i) => ({ id: `outage${i}`, apiKey: `sk_test_outage${i}` }));
const UNSEEN = CLIENTS;

interface Answer {
  client: number;
  key: string;
  status: number;
  ms: number;
  /** When it was sent (performance.now()). */
  at: number;
  res: HttpResult | null;
  /** Set when the request itself failed (no HTTP answer at all). */
  error?: string;
}

describe("PostgreSQL restarted under load (a cluster of its own, two instances)", () => {
  const stack = useClusterStack({ merchants, lockTimeoutSeconds: LOCK_TIMEOUT_SECONDS });

  function as(client: number, server: number) {
    const api = apiClient(stack.servers[server % stack.servers.length]!.url);
    const headers = { authorization: `Bearer ${merchants[client]!.apiKey}` };
    return {
      async pay(key: string, body: unknown): Promise<Answer> {
        const started = performance.now();
        try {
          const res = await api.pay(body, { key, merchant: null, headers });
          return { client, key, status: res.status, ms: performance.now() - started, at: started, res };
        } catch (error) {
          return { client, key, status: 0, ms: performance.now() - started, at: started, res: null, error: String(error) };
        }
      },
      get: (path: string) => api.request(path, { merchant: null, headers }),
      post: (path: string, body: unknown) =>
        api.request(path, { method: "POST", merchant: null, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) }),
    };
  }

  /** What is wrong with an answer given while the database may be down; null when nothing. */
  function fault(a: Answer): string | null {
    if (a.status === 201) return null;
    if (a.status === 409 || a.status === 503) {
      if (!a.res!.headers.get("content-type")?.startsWith("application/problem+json")) return `${a.status} not problem+json`;
      if (a.status === 503 && !DOCUMENTED_503.has(a.res!.body?.code)) return `503 ${a.res!.body?.code}`;
      if (!/^[1-9]\d*$/.test(a.res!.headers.get("retry-after") ?? "")) return `${a.status} ${a.res!.body?.code} without Retry-After`;
      return null;
    }
    return a.status === 0 ? `no answer: ${a.error}` : `${a.status} ${a.res!.body?.code ?? a.res!.text.slice(0, 80)}`;
  }

  it("every answer is 201, 409 or a 503 with Retry-After; nothing escapes; each key pays exactly once", async () => {
    const answers: Answer[] = [];
    const keys: { client: number; key: string; body: { amount: number; currency: string } }[] = [];
    let running = true;
    const created = () => answers.filter((a) => a.status === 201).length;

    // A client pays with a new key each time, retrying a 503 or 409 twice (the other instance
    // too) and then moving on: what is still open is settled after the load.
    const clients = merchants.slice(0, CLIENTS).map(async (_, client) => {
      for (let n = 0; running && n < KEYS_PER_CLIENT; n++) {
        const key = newKey();
        const body = { amount: 100 + client * 1000 + n, currency: "usd" };
        keys.push({ client, key, body });
        for (let attempt = 0; attempt < 3; attempt++) {
          const answer = await as(client, client + n + attempt).pay(key, body);
          answers.push(answer);
          if (answer.status !== 503 && answer.status !== 409) break;
          await sleep(50 * (attempt + 1));
        }
        await sleep(10);
      }
    });

    const started = performance.now();
    const phases: Record<string, number> = {};
    const lap = (name: string) => (phases[name] = Math.round(performance.now() - started) / 1000);
    try {
      await poll(() => created() >= 100, { timeoutMs: 30_000, message: () => `100 payments before the first restart (${created()})` });
      lap("warm");
      for (let i = 1; i <= RESTARTS; i++) {
        await stack.cluster.restart();
        lap(`restarted${i}`);
        // Service resumes on its own, under load: new payments succeed after each restart.
        const atRestart = created();
        await poll(() => created() >= atRestart + 60, { timeoutMs: 30_000, message: () => `60 payments after restart ${i} (${created() - atRestart})` });
        lap(`resumed${i}`);
      }
    } finally {
      running = false;
      await Promise.all(clients);
    }
    lap("stopped");

    // Settle: retry every key without a final answer until it gets one, as a client would.
    const finals = new Map<string, Answer>();
    for (const a of answers) if (a.status === 201) finals.set(a.key, a);
    const open = keys.filter((k) => !finals.has(k.key));
    const settling: Answer[] = [];
    await Promise.all(
      open.map(async ({ client, key, body }, i) => {
        const deadline = Date.now() + (LOCK_TIMEOUT_SECONDS + 10) * 1000;
        for (let attempt = 0; Date.now() < deadline; attempt++) {
          const answer = await as(client, i + attempt).pay(key, body);
          settling.push(answer);
          if (answer.status !== 503 && answer.status !== 409) {
            finals.set(key, answer);
            return;
          }
          await sleep(250);
        }
      }),
    );

    const all = [...answers, ...settling];
    const byStatus: Record<number, number> = {};
    for (const a of all) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    const escaped = escapedErrors(stack.servers);
    const summary = {
      phases,
      keys: keys.length,
      answers: all.length,
      byStatus,
      serverErrors: all.filter((a) => a.status >= 500 && a.status !== 503).length,
      escaped: escaped.length,
      slowestMs: Object.fromEntries(
        Object.keys(byStatus).map((st) => [st, Math.round(Math.max(...all.filter((a) => a.status === Number(st)).map((a) => a.ms)))]),
      ),
      retriedKeys: open.length,
      slowest: [...all]
        .sort((x, y) => y.ms - x.ms)
        .slice(0, 5)
        .map((a) => `${a.status} sent at ${Math.round(a.at - started) / 1000} s took ${Math.round(a.ms)} ms`),
    };
    console.info(`outage under load: ${JSON.stringify(summary)}`, escaped.slice(0, 3));

    const faults = all.map(fault).filter((f): f is string => f !== null);
    expect(faults, `answers other than 201, 409 and documented 503s with Retry-After: ${JSON.stringify(summary)}`).toEqual([]);
    expect(escaped.slice(0, 5), `uncaught exceptions or unhandled rejections in the servers' output (${escaped.length})`).toEqual([]);
    expect(stack.servers.map(alive), "both servers still up").toEqual([true, true]);
    // The restarts must have been felt, or this test proves nothing.
    expect(byStatus[503] ?? 0, "503s while PostgreSQL restarted").toBeGreaterThan(0);
    expect(summary.slowestMs[503] ?? 0, "no 503 stuck on a dead connection").toBeLessThan(ANSWER_UNDER_LOAD_WITHIN_MS);
    expect(
      keys.filter((k) => finals.get(k.key)?.status !== 201).map((k) => k.key),
      "keys still without a payment",
    ).toEqual([]);

    // Money: exactly one payment per key, the one its final answer named, and nothing else.
    const api = (client: number) => as(client, client);
    await Promise.all(
      merchants.slice(0, CLIENTS).map(async (_, client) => {
        const list = await api(client).get("/api/v1/payments?limit=100");
        expect(list.status).toBe(200);
        const payments = list.body.data as { id: string; amount: number; idempotencyKey: string; status: string }[];
        const mine = keys.filter((k) => k.client === client);
        expect(payments.length, `client ${client}: one payment per key, no more`).toBe(mine.length);
        for (const { key } of mine) {
          expect(
            payments.filter((p) => p.idempotencyKey === key).map((p) => p.id),
            `key ${key}`,
          ).toEqual([finals.get(key)!.res!.body.id]);
        }
        const balance = await api(client).get("/api/v1/balance");
        const usd = (balance.body.available as { currency: string; amount: number }[]).find((b) => b.currency === "usd");
        expect(usd?.amount ?? 0, `client ${client}: balance = sum of its payments`).toBe(payments.reduce((sum, p) => sum + p.amount, 0));
      }),
    );
  }, 180_000);

  it("with PostgreSQL stopped every endpoint answers 503 with Retry-After within 5 s, then recovers by itself", async () => {
    const key = newKey();
    const body = { amount: 4242, currency: "usd" };
    const outputBefore = stack.servers.map((s) => s.output().length);
    const known = await as(0, 0).pay(newKey(), { amount: 1, currency: "usd" });
    expect(known.status).toBe(201);
    expect((await as(0, 1).get("/api/v1/balance")).status).toBe(200);
    await stack.cluster.stop();
    try {
      for (let s = 0; s < stack.servers.length; s++) {
        // Client 0's API key is known to both instances (cached for a minute); UNSEEN's is
        // not, so authenticating it needs the database.
        for (const client of [0, UNSEEN]) {
          const api = as(client, s);
          const requests: [string, () => Promise<HttpResult>][] = [
            ["POST /api/v1/payments", async () => (await api.pay(key, body)).res!],
            ["GET /api/v1/payments", () => api.get("/api/v1/payments?limit=5")],
            ["GET /api/v1/payments/{id}", () => api.get(`/api/v1/payments/${known.res!.body.id}`)],
            ["GET /api/v1/balance", () => api.get("/api/v1/balance")],
            ["GET /api/health", () => api.get("/api/health")],
          ];
          const trpc: [string, () => Promise<HttpResult>][] = [
            ["tRPC payment.create", () => api.post("/api/trpc/payment.create", { ...body, idempotencyKey: key })],
            ["tRPC balance.get", () => api.get("/api/trpc/balance.get")],
          ];
          for (const [name, request] of requests) {
            const started = performance.now();
            const res = await request();
            const ms = performance.now() - started;
            expect(ms, `${name} on instance ${s}: answered within 5 s`).toBeLessThan(ANSWER_WITHIN_MS);
            expectProblemShape(res, 503, "database_unavailable");
            expect(res.headers.get("retry-after") ?? "(none)", `${name} on instance ${s}: Retry-After`).toMatch(/^[1-9]\d*$/);
          }
          // tRPC carries the problem, with its retry delay, inside the error (as for its 409s).
          for (const [name, request] of trpc) {
            const started = performance.now();
            const res = await request();
            expect(performance.now() - started, `${name} on instance ${s}: answered within 5 s`).toBeLessThan(ANSWER_WITHIN_MS);
            expect(res.status, `${name} on instance ${s}: ${res.text}`).toBe(503);
            expect(res.body.error.data.problem).toMatchObject({ code: "database_unavailable", retryAfterSeconds: expect.any(Number) });
          }
        }
      }
    } finally {
      await stack.cluster.start();
    }
    // Nobody restarts the app: each instance comes back once PostgreSQL does.
    for (let s = 0; s < stack.servers.length; s++) {
      let last: Answer | undefined;
      await poll(async () => (last = await as(0, s).pay(key, body)).status === 201, {
        timeoutMs: 15_000,
        message: () => `a payment on instance ${s} after the start (last: ${last?.status})`,
      });
      const health = await as(0, s).get("/api/health");
      expect(health.status).toBe(200);
    }
    const list = await as(0, 0).get("/api/v1/payments?limit=100");
    expect((list.body.data as { idempotencyKey: string }[]).filter((p) => p.idempotencyKey === key)).toHaveLength(1);
    expect(escapedErrors(stack.servers, outputBefore)).toEqual([]);
  }, 60_000);
});
