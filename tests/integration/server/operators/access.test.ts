import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

// Operator access over real HTTP, on production builds (contract: "Operators"): the dashboard's
// procedures, the event path's commands and /api/metrics, by cookie or bearer token, or not at all.

const TOKEN = "operator-token-for-the-tests-0123456789";
const SESSION_SECONDS = 12 * 60 * 60;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
  text: string;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: "manual", ...init });
  const text = await res.text();
  let body: Record<string, unknown> | null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** The problem an answer carries: REST's body, or tRPC's `error.data.problem`. */
function problemOf(answer: Answer): { code?: string; detail?: string; status?: number } {
  const error = answer.body?.error as { data?: { problem?: object } } | undefined;
  return error?.data?.problem ?? answer.body ?? {};
}

function surfaces(base: string) {
  const query = (procedure: string, input: unknown, headers: Record<string, string> = {}) =>
    call(`${base}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  const mutate = (procedure: string, input: unknown, headers: Record<string, string> = {}) =>
    call(`${base}/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: input === undefined ? "" : JSON.stringify(input),
    });
  return {
    summary: (headers?: Record<string, string>) => query("dashboard.summary", { window: "5m" }, headers),
    records: (headers?: Record<string, string>) => query("dashboard.records", { limit: 5 }, headers),
    replay: (headers?: Record<string, string>) => mutate("events.replay", { from: 0 }, headers),
    eventsSummary: (headers?: Record<string, string>) => query("events.summary", {}, headers),
    mutate,
    metrics: (headers: Record<string, string> = {}) => call(`${base}/api/metrics`, { headers }),
    signIn: (token: string, headers: Record<string, string> = {}) =>
      call(`${base}/api/operator/session`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ token }) }),
    signOut: (headers: Record<string, string> = {}) => call(`${base}/api/operator/session`, { method: "DELETE", headers }),
    page: (path: string, headers: Record<string, string> = {}) => call(`${base}${path}`, { headers }),
  };
}

function useServer(env: Record<string, string>): { server: ServerProcess } {
  const holder = {} as { server: ServerProcess };
  beforeAll(async () => {
    // Outside demo mode the public development webhook secret is refused.
    holder.server = await startServer({ env: { PROVIDER_WEBHOOK_SECRET: "whsec_operators_test", ...env } });
  });
  afterAll(() => holder.server?.stop());
  return holder;
}

describe("operators in production without a token", () => {
  const stack = useServer({ ONCEPAY_DEMO: "0" });

  it("refuses the dashboard's procedures, the event path's commands and /api/metrics, saying what to set", async () => {
    const ops = surfaces(stack.server.url);
    for (const answer of [
      await ops.summary(),
      await ops.records(),
      await ops.replay(),
      await ops.metrics(),
      await ops.metrics({ authorization: `Bearer ${TOKEN}` }),
    ]) {
      expect(answer.status).toBe(401);
      expect(problemOf(answer)).toMatchObject({ code: "operator_unauthorized", detail: expect.stringContaining("ONCEPAY_OPERATOR_TOKEN") as unknown });
    }
  });

  it("sends /dashboard to /login, which says operator access is closed", async () => {
    const ops = surfaces(stack.server.url);
    const dashboard = await ops.page("/dashboard");
    expect([307, 308]).toContain(dashboard.status);
    expect(new URL(dashboard.headers.get("location")!, stack.server.url).pathname).toBe("/login");
    const login = await ops.page("/login");
    expect(login.status).toBe(200);
    expect(login.text).toContain('data-testid="operators-closed"');
    const signIn = await ops.signIn(TOKEN);
    expect(signIn.status).toBe(401);
    expect(problemOf(signIn).code).toBe("operator_unauthorized");
  });
});

describe("operators in production with a token", () => {
  // One proxy in front: each test is its own client address, so one's wrong tries do not block another.
  const stack = useServer({ ONCEPAY_DEMO: "0", ONCEPAY_OPERATOR_TOKEN: TOKEN, TRUSTED_PROXIES: "1" });
  let clients = 0;
  const from = () => ({ "x-forwarded-for": `203.0.113.${++clients}` });
  const bearer = { authorization: `Bearer ${TOKEN}` };

  it("refuses every operator surface without credentials", async () => {
    const ops = surfaces(stack.server.url);
    const client = from();
    for (const answer of [await ops.summary(client), await ops.replay(client), await ops.metrics(client)]) {
      expect(answer.status).toBe(401);
      expect(problemOf(answer).code).toBe("operator_unauthorized");
      expect(answer.text).not.toContain(TOKEN);
    }
    // A merchant's API key is no operator credential.
    expect((await ops.summary({ ...client, authorization: "Bearer sk_test_alice" })).status).toBe(401);
  });

  it("opens them to the token as a bearer token", async () => {
    const ops = surfaces(stack.server.url);
    const client = { ...from(), ...bearer };
    expect((await ops.summary(client)).status).toBe(200);
    const replay = await ops.replay(client);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ result: { data: { events: expect.any(Number) as unknown } } });
    const metrics = await ops.metrics(client);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain("# HELP");
  });

  it("answers 429 with Retry-After after 10 wrong tokens a minute from one address, the right token included; others are not held up", async () => {
    const ops = surfaces(stack.server.url);
    const client = from();
    const wrong = { ...client, authorization: `Bearer ${TOKEN.replace(/.$/, "x")}` };
    for (let i = 1; i <= 10; i++) {
      const answer = i % 2 ? await ops.summary(wrong) : await ops.metrics(wrong);
      expect(answer.status, `wrong try ${i}`).toBe(401);
    }
    const eleventh = await ops.summary(wrong);
    expect(eleventh.status).toBe(429);
    expect(problemOf(eleventh).code).toBe("too_many_failed_authentications");
    const retryAfter = Number(eleventh.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Guessing on gains nothing: the right token from that address is refused too, until the minute is up.
    for (const answer of [await ops.summary({ ...client, ...bearer }), await ops.metrics({ ...client, ...bearer }), await ops.signIn(TOKEN, client)]) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
    }
    expect((await ops.summary({ ...from(), ...bearer })).status).toBe(200);
  });

  it("counts wrong tokens at sign-in too", async () => {
    const ops = surfaces(stack.server.url);
    const client = from();
    for (let i = 1; i <= 10; i++) {
      const answer = await ops.signIn(`wrong-token-${i}-0123456789`, client);
      expect(answer.status).toBe(401);
      expect(answer.headers.get("set-cookie")).toBeNull();
    }
    expect((await ops.signIn("wrong-token-11-0123456789", client)).status).toBe(429);
  });

  it("signs a browser in with an HttpOnly, SameSite=Strict 12 h cookie that opens the procedures and pages, and signs it out", async () => {
    const ops = surfaces(stack.server.url);
    const client = from();
    const dashboard = await ops.page("/dashboard", client);
    expect([307, 308]).toContain(dashboard.status);
    expect(new URL(dashboard.headers.get("location")!, stack.server.url).pathname).toBe("/login");

    const signIn = await ops.signIn(TOKEN, { ...client, origin: stack.server.url });
    expect(signIn.status).toBe(200);
    const setCookie = signIn.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^oncepay_operator=[^;]+/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(new RegExp(`;\\s*Max-Age=${SESSION_SECONDS}(;|$)`));
    expect(setCookie).toMatch(/;\s*Path=\//);
    expect(setCookie).not.toMatch(/Secure/i);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = { ...client, cookie: setCookie.split(";")[0]! };

    expect((await ops.summary(cookie)).status).toBe(200);
    expect((await ops.metrics(cookie)).status).toBe(200);
    expect((await ops.replay({ ...cookie, origin: stack.server.url, "sec-fetch-site": "same-origin" })).status).toBe(200);
    const page = await ops.page("/dashboard", cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Sign out");
    expect(page.text).not.toContain('data-testid="demo-notice"');
    // A signed-in visitor of /login goes on to the dashboard.
    expect(new URL((await ops.page("/login", cookie)).headers.get("location") ?? "/", stack.server.url).pathname).toBe("/dashboard");

    // A tampered cookie is no session.
    expect((await ops.summary({ ...client, cookie: `${cookie.cookie.slice(0, -4)}AAAA` })).status).toBe(401);

    const signOut = await ops.signOut({ ...client, origin: stack.server.url });
    expect(signOut.status).toBe(204);
    expect(signOut.headers.get("set-cookie")).toMatch(/^oncepay_operator=;.*Max-Age=0/);
  });

  it("marks the cookie Secure behind https", async () => {
    const answer = await surfaces(stack.server.url).signIn(TOKEN, { ...from(), "x-forwarded-proto": "https" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("set-cookie")).toMatch(/;\s*Secure/);
  });

  it("lets the operator commands in with ONCEPAY_OPERATOR_TOKEN, and says what to set without it", async () => {
    const command = async (token: string | undefined) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ONCEPAY_URL: stack.server.url, LOG_LEVEL: "silent" };
      delete env.DATABASE_URL; // the embedded database's way: through the running app
      delete env.ONCEPAY_OPERATOR_TOKEN;
      if (token) env.ONCEPAY_OPERATOR_TOKEN = token;
      return promisify(execFile)("npx", ["tsx", "scripts/events-replay.ts", "--from", "0"], { env }).then(
        ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout + error.stderr }),
      );
    };
    const without = await command(undefined);
    expect(without.code).toBe(1);
    expect(without.out).toMatch(/events:replay failed: .*401.*set ONCEPAY_OPERATOR_TOKEN/);
    const wrong = await command(`${TOKEN}-but-wrong`);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/refused ONCEPAY_OPERATOR_TOKEN \(401\)/);
    expect(wrong.out).not.toContain(TOKEN);
    const right = await command(TOKEN);
    expect(right.out).toMatch(/events:replay: \{"events":\d+/);
    expect(right.code).toBe(0);
  });

  it("refuses a sign-in another site's page sends, or one not in JSON", async () => {
    const ops = surfaces(stack.server.url);
    const client = from();
    const foreign = await ops.signIn(TOKEN, { ...client, origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(problemOf(foreign).code).toBe("cross_site_request");
    expect(foreign.headers.get("set-cookie")).toBeNull();
    const form = await call(`${stack.server.url}/api/operator/session`, {
      method: "POST",
      headers: { ...client, "content-type": "application/x-www-form-urlencoded" },
      body: `token=${TOKEN}`,
    });
    expect(form.status).toBe(415);
    expect(problemOf(form).code).toBe("unsupported_media_type");
    const signOut = await ops.signOut({ ...client, "sec-fetch-site": "cross-site" });
    expect(signOut.status).toBe(403);
  });
});

describe("operators in demo mode without a token", () => {
  const stack = useServer({ ONCEPAY_DEMO: "1" });

  it("opens the operator surfaces, and every operator page says so", async () => {
    const ops = surfaces(stack.server.url);
    expect((await ops.summary()).status).toBe(200);
    expect((await ops.replay()).status).toBe(200);
    expect((await ops.metrics()).status).toBe(200);
    const page = await ops.page("/dashboard");
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="demo-notice"');
    expect(page.text).toContain("ONCEPAY_OPERATOR_TOKEN");
  });

  it("runs no tRPC mutation posted as a form or as text (415), nor one from another site's page (403)", async () => {
    const ops = surfaces(stack.server.url);
    const version = async () => ((await ops.eventsSummary()).body as { result: { data: { revenue: { version: number } } } }).result.data.revenue.version;
    const before = await version();
    const multipart = new FormData();
    multipart.set("x", "1");
    const answers = [
      await call(`${stack.server.url}/api/trpc/events.rebuild`, { method: "POST", body: multipart }),
      await call(`${stack.server.url}/api/trpc/events.rebuild`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" }),
      await call(`${stack.server.url}/api/trpc/events.rebuild`, { method: "POST" }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(415);
      expect(problemOf(answer).code).toBe("unsupported_media_type");
    }
    const foreign: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of foreign) {
      const answer = await ops.mutate("events.rebuild", undefined, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(problemOf(answer).code).toBe("cross_site_request");
    }
    expect(await version()).toBe(before);
    // The same call from the site itself, or from a program, runs.
    expect((await ops.mutate("events.rebuild", undefined, { origin: stack.server.url, "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect(await version()).toBeGreaterThan(before);
  });
});
