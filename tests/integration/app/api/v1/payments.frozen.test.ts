import { describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { newKey, poll, sleep } from "@/fixtures";
import { useClusterStack } from "@/tests/support/cluster-stack";
import { apiClient, type HttpResult } from "@/tests/support/api";
import { alive, escapedErrors, startServer, type ServerProcess } from "@/fixtures/server-process";
import { trpcClient } from "@/tests/support/trpc";

const CLIENTS = 6;
/** How long PostgreSQL is frozen: longer than the bound, so that every bound is reached. */
const FREEZE_MS = 10_000;
/** The contract: an unreachable database is answered within 5 s. */
const ANSWER_WITHIN_MS = 5_000;
/** How soon after the thaw both instances must be healthy and paying again. */
const RECOVER_WITHIN_MS = 10_000;
/** A claim whose statement ran late (after the thaw) holds its key this long: short, so settling is quick. */
const LOCK_TIMEOUT_SECONDS = 2;
/** Below the list endpoint's limit, so one GET /api/v1/payments shows every payment of a client. */
const KEYS_PER_CLIENT = 90;

// Each client is its own merchant, so its payments are exactly what GET /api/v1/payments lists for it.
const merchants = Array.from({ length: CLIENTS }, (_, i) => ({ id: `frozen${i}`, apiKey: `sk_test_frozen${i}` }));

type Via = "rest" | "trpc" | "health";

interface Answer {
  via: Via;
  server: number;
  client: number;
  key: string;
  status: number;
  /** The problem's code, for an answer that is one. */
  code?: string;
  /** Retry-After (REST) or the problem's retryAfterSeconds (tRPC). */
  retryAfter?: string;
  paymentId?: string;
  /** Sent at, in ms since the load began. */
  at: number;
  ms: number;
  error?: string;
}

describe("PostgreSQL frozen (SIGSTOP) under load: every answer within 5 s, then recovery on its own", () => {
  const stack = useClusterStack({ merchants, lockTimeoutSeconds: LOCK_TIMEOUT_SECONDS });

  it("answers are 201, 409 or 503 database_unavailable with Retry-After, all within 5 s; health follows; each key pays once", async () => {
    const began = performance.now();
    const now = () => performance.now() - began;
    const answers: Answer[] = [];
    const keys: { client: number; key: string; body: { amount: number; currency: "usd" } }[] = [];
    // No request may hang the test: one that takes this long is recorded as unanswered.
    const signal = () => AbortSignal.timeout(60_000);

    async function rest(client: number, server: number, key: string, body: object): Promise<Answer> {
      const at = now();
      const api = apiClient(stack.servers[server]!.url);
      try {
        const res = await api.request("/api/v1/payments", {
          method: "POST",
          merchant: null,
          headers: { authorization: `Bearer ${merchants[client]!.apiKey}`, "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify(body),
          signal: signal(),
        });
        const problemJson = res.headers.get("content-type")?.startsWith("application/problem+json");
        return {
          via: "rest",
          server,
          client,
          key,
          status: res.status,
          code: problemJson ? res.body?.code : undefined,
          retryAfter: res.headers.get("retry-after") ?? undefined,
          paymentId: res.status === 201 ? res.body?.id : undefined,
          at,
          ms: now() - at,
        };
      } catch (error) {
        return { via: "rest", server, client, key, status: 0, at, ms: now() - at, error: String(error) };
      }
    }

    async function trpc(client: number, server: number, key: string, body: { amount: number; currency: "usd" }): Promise<Answer> {
      const at = now();
      const api = trpcClient(stack.servers[server]!.url, { merchant: null, headers: { authorization: `Bearer ${merchants[client]!.apiKey}` } });
      try {
        const payment = await api.payment.create.mutate({ ...body, idempotencyKey: key }, { signal: signal() });
        return { via: "trpc", server, client, key, status: 201, paymentId: payment.id, at, ms: now() - at };
      } catch (error) {
        if (!(error instanceof TRPCClientError)) return { via: "trpc", server, client, key, status: 0, at, ms: now() - at, error: String(error) };
        const data = error.data as { httpStatus?: number; problem?: { code?: string; retryAfterSeconds?: number } } | undefined;
        const retry = data?.problem?.retryAfterSeconds;
        return {
          via: "trpc",
          server,
          client,
          key,
          status: data?.httpStatus ?? 0,
          code: data?.problem?.code,
          retryAfter: retry === undefined ? undefined : String(retry),
          at,
          ms: now() - at,
          error: data?.httpStatus ? undefined : error.message,
        };
      }
    }

    async function health(server: number): Promise<Answer> {
      const at = now();
      try {
        const res = await apiClient(stack.servers[server]!.url).request("/api/health", { merchant: null, signal: signal() });
        return {
          via: "health",
          server,
          client: -1,
          key: "",
          status: res.status,
          code: res.body?.code,
          retryAfter: res.headers.get("retry-after") ?? undefined,
          at,
          ms: now() - at,
        };
      } catch (error) {
        return { via: "health", server, client: -1, key: "", status: 0, at, ms: now() - at, error: String(error) };
      }
    }

    let running = true;
    // Each client pays with a new key each time, on both instances, retrying a 503 or 409 twice and
    // then moving on: what is still open is settled after the load. Half the clients pay over REST and
    // half over tRPC, so that both ways in are in flight whenever the freeze begins (alternating per
    // key left it to chance: once all six were on REST keys for the whole freeze).
    const clients = merchants.map(async (_, client) => {
      for (let n = 0; running && n < KEYS_PER_CLIENT; n++) {
        const key = newKey();
        const body = { amount: 100 + client * 1000 + n, currency: "usd" as const };
        keys.push({ client, key, body });
        for (let attempt = 0; attempt < 3; attempt++) {
          const server = (client + n + attempt) % stack.servers.length;
          const answer = client % 2 === 0 ? await rest(client, server, key, body) : await trpc(client, server, key, body);
          answers.push(answer);
          if (answer.status !== 503 && answer.status !== 409) break;
          await sleep(100 * (attempt + 1));
        }
        await sleep(20);
      }
    });
    const healthChecks = stack.servers.map(async (_, server) => {
      while (running) {
        answers.push(await health(server));
        await sleep(250);
      }
    });

    const phases: Record<string, number> = {};
    const lap = (name: string) => (phases[name] = Math.round(now()) / 1000);
    const created = (from = 0, server?: number) =>
      answers.filter((a) => a.status === 201 && a.at >= from && (server === undefined || a.server === server)).length;
    let frozeAt = 0;
    let thawedAt = 0;
    try {
      await poll(() => created() >= 30, { timeoutMs: 30_000, message: () => `30 payments before the freeze (${created()})` });
      lap("warm");
      frozeAt = now();
      const stopped = stack.cluster.freeze();
      lap(`froze ${stopped.length} processes`);
      await sleep(FREEZE_MS);
      stack.cluster.thaw();
      thawedAt = now();
      lap("thawed");
      // Nobody restarts anything: both instances are healthy and paying again on their own.
      for (let s = 0; s < stack.servers.length; s++) {
        await poll(() => answers.some((a) => a.via === "health" && a.server === s && a.at >= thawedAt && a.status === 200), {
          timeoutMs: RECOVER_WITHIN_MS,
          message: () => `instance ${s} healthy after the thaw`,
        });
        await poll(() => created(thawedAt, s) > 0, { timeoutMs: RECOVER_WITHIN_MS, message: () => `a payment on instance ${s} after the thaw` });
      }
      lap("recovered");
      await poll(() => created(thawedAt) >= 30, { timeoutMs: 30_000, message: () => `30 payments after the thaw (${created(thawedAt)})` });
      lap("paying");
    } finally {
      running = false;
      stack.cluster.thaw();
      await Promise.all([...clients, ...healthChecks]);
    }

    // Settle: retry every key without a final answer until it gets one, as a client would.
    const finals = new Map<string, Answer>();
    for (const a of answers) if (a.status === 201) finals.set(a.key, a);
    const open = keys.filter((k) => !finals.has(k.key));
    const settling: Answer[] = [];
    await Promise.all(
      open.map(async ({ client, key, body }, i) => {
        const deadline = Date.now() + (LOCK_TIMEOUT_SECONDS + 15) * 1000;
        for (let attempt = 0; Date.now() < deadline; attempt++) {
          const answer = await rest(client, (i + attempt) % stack.servers.length, key, body);
          settling.push(answer);
          if (answer.status !== 503 && answer.status !== 409) return void finals.set(key, answer);
          await sleep(250);
        }
      }),
    );

    const during = (a: Answer) => a.at + a.ms >= frozeAt && a.at <= thawedAt;
    const all = [...answers, ...settling];
    const slowest = (list: Answer[]) => Math.round(Math.max(0, ...list.map((a) => a.ms)));
    const firstAfterThaw = (pick: (a: Answer) => boolean) =>
      stack.servers.map((_, s) => {
        const first = answers.filter((a) => a.server === s && a.at >= thawedAt && pick(a)).sort((x, y) => x.at + x.ms - (y.at + y.ms))[0];
        return first ? Math.round(first.at + first.ms - thawedAt) : null;
      });
    const byStatus: Record<string, number> = {};
    for (const a of all)
      byStatus[`${a.via} ${a.status}${a.code ? ` ${a.code}` : ""}`] = (byStatus[`${a.via} ${a.status}${a.code ? ` ${a.code}` : ""}`] ?? 0) + 1;
    const escaped = escapedErrors(stack.servers);
    const summary = {
      phases,
      keys: keys.length,
      answers: all.length,
      byStatus,
      maxLatencyMs: {
        all: slowest(all),
        duringFreeze: slowest(all.filter(during)),
        rest: slowest(all.filter((a) => a.via === "rest")),
        trpc: slowest(all.filter((a) => a.via === "trpc")),
        health: slowest(all.filter((a) => a.via === "health")),
        "503": slowest(all.filter((a) => a.status === 503)),
      },
      msFromThawTo: {
        health200: firstAfterThaw((a) => a.via === "health" && a.status === 200),
        payment201: firstAfterThaw((a) => a.status === 201),
      },
      retriedKeys: open.length,
      escaped: escaped.length,
      slowest: [...all]
        .sort((x, y) => y.ms - x.ms)
        .slice(0, 5)
        .map((a) => `${a.via} ${a.status} on ${a.server} sent at ${Math.round(a.at) / 1000} s took ${Math.round(a.ms)} ms`),
    };
    console.info(`frozen under load: ${JSON.stringify(summary)}`, escaped.slice(0, 3));

    const faults = all
      .map((a) => {
        const what = `${a.via} ${a.status} ${a.code ?? a.error ?? ""} on ${a.server} at ${Math.round(a.at)} ms`;
        if (a.ms >= ANSWER_WITHIN_MS) return `${what}: took ${Math.round(a.ms)} ms`;
        const ok = a.via === "health" ? [200] : [201];
        if (ok.includes(a.status)) return null;
        if (a.status === 409 && a.via !== "health" && a.code === "idempotency_key_in_use" && a.retryAfter) return null;
        if (a.status === 503 && a.code === "database_unavailable" && /^[1-9]\d*$/.test(a.retryAfter ?? "")) return null;
        return what;
      })
      .filter((f): f is string => f !== null);
    expect(
      faults.slice(0, 20),
      `answers late, or other than 201/409/503 database_unavailable with Retry-After (${faults.length}): ${JSON.stringify(summary)}`,
    ).toEqual([]);
    expect(escaped.slice(0, 5), `uncaught exceptions or unhandled rejections in the servers' output (${escaped.length})`).toEqual([]);
    expect(stack.servers.map(alive), "both servers still up").toEqual([true, true]);
    // The freeze must have been felt by every way in, or this test proves nothing.
    for (const via of ["rest", "trpc", "health"] as const) {
      expect(all.filter((a) => a.via === via && a.status === 503 && during(a)).length, `${via} 503s during the freeze`).toBeGreaterThan(0);
    }
    for (let s = 0; s < stack.servers.length; s++) {
      expect(
        all.filter((a) => a.via === "health" && a.server === s && a.status === 503 && during(a)).length,
        `instance ${s}: health 503 while frozen`,
      ).toBeGreaterThan(0);
    }
    expect(
      keys.filter((k) => finals.get(k.key)?.status !== 201).map((k) => k.key),
      "keys still without a payment",
    ).toEqual([]);

    // Money: exactly one payment per key, the one its final answer named, and nothing else.
    await Promise.all(
      merchants.map(async (merchant, client) => {
        const list = await apiClient(stack.servers[client % stack.servers.length]!.url).request("/api/v1/payments?limit=100", {
          merchant: null,
          headers: { authorization: `Bearer ${merchant.apiKey}` },
        });
        expect(list.status).toBe(200);
        const payments = list.body.data as { id: string; idempotencyKey: string }[];
        const mine = keys.filter((k) => k.client === client);
        expect(payments.length, `client ${client}: one payment per key, no more`).toBe(mine.length);
        for (const { key } of mine) {
          expect(
            payments.filter((p) => p.idempotencyKey === key).map((p) => p.id),
            `key ${key}`,
          ).toEqual([finals.get(key)!.paymentId]);
        }
      }),
    );
  }, 240_000);

  it("an instance started while PostgreSQL is frozen answers 503 within 5 s, then serves once it wakes", async () => {
    const client = 0;
    const headers = { authorization: `Bearer ${merchants[client]!.apiKey}` };
    const key = newKey();
    const body = { amount: 4242, currency: "usd" as const };
    let late: ServerProcess | undefined;
    stack.cluster.freeze();
    try {
      // Its first request opens the database (seeding the merchants), which hangs: bounded too.
      late = await startServer({ databaseUrl: stack.cluster.url, env: stack.env, readyWhenListening: true });
      const api = apiClient(late.url);
      const requests: [string, () => Promise<HttpResult>][] = [
        ["GET /api/health", () => api.request("/api/health", { merchant: null })],
        [
          "POST /api/v1/payments",
          () =>
            api.request("/api/v1/payments", {
              method: "POST",
              merchant: null,
              headers: { ...headers, "content-type": "application/json", "idempotency-key": key },
              body: JSON.stringify(body),
            }),
        ],
        [
          "tRPC payment.create",
          () =>
            api.request("/api/trpc/payment.create", {
              method: "POST",
              merchant: null,
              headers: { ...headers, "content-type": "application/json" },
              body: JSON.stringify({ ...body, idempotencyKey: key }),
            }),
        ],
      ];
      for (const [name, request] of requests) {
        const started = performance.now();
        const res = await request();
        const ms = performance.now() - started;
        console.info(`${name} on an instance started frozen: ${res.status} in ${Math.round(ms)} ms`);
        expect(ms, `${name}: answered within 5 s`).toBeLessThan(ANSWER_WITHIN_MS);
        expect(res.status, name).toBe(503);
        // tRPC with no app yet is answered before tRPC is involved (server/trpc/handler.ts): a REST problem.
        const problem = res.body?.error?.data?.problem ?? res.body;
        expect(problem?.code, name).toBe("database_unavailable");
        const retry = problem.retryAfterSeconds === undefined ? res.headers.get("retry-after") : String(problem.retryAfterSeconds);
        expect(retry, `${name}: its retry delay`).toMatch(/^[1-9]\d*$/);
      }
    } finally {
      stack.cluster.thaw();
    }
    try {
      const api = apiClient(late.url);
      await poll(async () => (await api.request("/api/health", { merchant: null })).status === 200, { timeoutMs: 15_000, message: "healthy after the thaw" });
      let last = 0;
      await poll(
        async () =>
          (last = (
            await api.request("/api/v1/payments", {
              method: "POST",
              merchant: null,
              headers: { ...headers, "content-type": "application/json", "idempotency-key": key },
              body: JSON.stringify(body),
            })
          ).status) === 201,
        { timeoutMs: 15_000, message: () => `the payment after the thaw (last: ${last})` },
      );
      expect(escapedErrors([late])).toEqual([]);
    } finally {
      await late.stop();
    }
  }, 180_000);
});
