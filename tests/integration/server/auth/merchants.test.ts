import { describe, expect, it } from "vitest";
import { API_KEYS, newKey, PUBLISHABLE_KEYS } from "@/fixtures";
import { startServer } from "@/fixtures/server-process";
import { httpResult, type HttpResult } from "@/tests/support/api";
import { useOwnStack } from "@/tests/support/own-stack";

const WEBHOOK_SECRET = "whsec_merchants_test_3f9a";
const CAROL_1 = { sk: "sk_test_carol_first_a1b2", pk: "pk_test_carol_first_c3d4" };
const CAROL_2 = { sk: "sk_test_carol_second_e5f6", pk: "pk_test_carol_second_g7h8" };
const carol = (keys: { sk: string; pk: string }) => `carol:${keys.sk}:${keys.pk}`;
/** Demo mode off: only ONCEPAY_MERCHANTS' merchants, and a webhook secret of one's own. */
const PRODUCTION = { ONCEPAY_DEMO: "0", PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET };

async function call(base: string, key: string, path: string, init: RequestInit = {}, headers: Record<string, string> = {}): Promise<HttpResult> {
  return httpResult(
    await fetch(`${base}${path}`, { ...init, headers: { ...headers, authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } }),
  );
}

const pay = (base: string, key: string, headers: Record<string, string> = {}) =>
  call(
    base,
    key,
    "/api/v1/payments",
    { method: "POST", headers: { "content-type": "application/json", "idempotency-key": newKey() }, body: JSON.stringify({ amount: 700, currency: "usd" }) },
    headers,
  );
const list = async (base: string, key: string) =>
  (await call(base, key, "/api/v1/payments?limit=100")).body?.data?.map((p: { id: string }) => p.id) as string[];

// Contract: "Principals and scoping", "Operators" (demo mode). One database across restarts, each
// restart a new configuration, as a deploy would change it.
describe("merchants from the configuration", () => {
  const stack = useOwnStack({ kind: "embedded", serverEnv: { ONCEPAY_MERCHANTS: carol(CAROL_1) } });

  it("demo merchants exist in demo mode only; a rotated key stops working; payments stay", async () => {
    // Demo mode (the test servers' default): alice and carol.
    const alicePaid = await pay(stack.server.url, API_KEYS.alice);
    expect(alicePaid.status).toBe(201);
    const carolPaid = await pay(stack.server.url, CAROL_1.pk);
    expect(carolPaid.status).toBe(201);

    // Without demo mode, the demo keys are refused; the configured ones work.
    await stack.restart(PRODUCTION);
    for (const key of [API_KEYS.alice, PUBLISHABLE_KEYS.alice, API_KEYS.bob]) expect((await pay(stack.server.url, key)).status).toBe(401);
    expect((await pay(stack.server.url, CAROL_1.sk)).status).toBe(201);
    expect(await list(stack.server.url, CAROL_1.sk)).toContain(carolPaid.body.id);

    // Rotation: a new key for the same id; the old one is refused at once (a new process caches nothing).
    await stack.restart({ ONCEPAY_MERCHANTS: carol(CAROL_2) });
    expect((await pay(stack.server.url, CAROL_1.sk)).status).toBe(401);
    expect((await pay(stack.server.url, CAROL_1.pk)).status).toBe(401);
    expect((await pay(stack.server.url, CAROL_2.pk)).status).toBe(201);
    expect(await list(stack.server.url, CAROL_2.sk)).toContain(carolPaid.body.id);

    // Demo mode again: alice's keys work, and her payment was kept.
    await stack.restart({ ONCEPAY_DEMO: "1" });
    expect(await list(stack.server.url, API_KEYS.alice)).toContain(alicePaid.body.id);
  });
});

describe("failed authentications", () => {
  // Behind one trusted proxy, so that the test can speak from several addresses.
  const stack = useOwnStack({ kind: "embedded", serverEnv: { ...PRODUCTION, ONCEPAY_MERCHANTS: carol(CAROL_1), TRUSTED_PROXIES: "1" } });
  const from = (address: string) => ({ "x-forwarded-for": address });

  it("more than 20 a minute from one address are refused with 429 and Retry-After, even with the right key", async () => {
    const attacker = from("203.0.113.7");
    for (let i = 0; i < 20; i++) expect((await pay(stack.server.url, `sk_test_guess_${i}`, attacker)).status).toBe(401);
    const refused = await pay(stack.server.url, "sk_test_guess_20", attacker);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: "too_many_failed_authentications", status: 429 });
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    // The right key from that address waits too; over tRPC as well.
    expect((await pay(stack.server.url, CAROL_1.sk, attacker)).status).toBe(429);
    const trpc = await call(stack.server.url, CAROL_1.pk, "/api/trpc/payment.byId?input=" + encodeURIComponent(JSON.stringify({ id: "pay_x" })), {}, attacker);
    expect(trpc.status).toBe(429);
    expect(Number(trpc.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(trpc.text).toContain("too_many_failed_authentications");
    // Another address is not affected.
    expect((await pay(stack.server.url, CAROL_1.sk, from("203.0.113.8"))).status).toBe(201);
  });

  it("a request without a key guesses nothing and is not counted", async () => {
    const address = from("198.51.100.9");
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${stack.server.url}/api/v1/balance`, { headers: address });
      expect(res.status).toBe(401);
    }
    expect((await call(stack.server.url, CAROL_1.sk, "/api/v1/balance", {}, address)).status).toBe(200);
  });
});

describe("a configuration the server refuses", () => {
  it("outside demo mode, the default webhook secret: exits, saying to set it", async () => {
    const refused = startServer({ env: { ONCEPAY_DEMO: "0", ONCEPAY_MERCHANTS: carol(CAROL_1) } });
    await expect(refused).rejects.toThrow(/exited with 1/);
    await expect(refused).rejects.toThrow(/PROVIDER_WEBHOOK_SECRET[\s\S]*set PROVIDER_WEBHOOK_SECRET/);
    await expect(refused).rejects.toThrow(/refuses to start/);
    const message = await refused.catch((error: Error) => error.message);
    for (const secret of [CAROL_1.sk, CAROL_1.pk, "whsec_oncepay_dev"]) expect(message).not.toContain(secret);
  });

  it.each([
    ["a secret key without sk_", `dave:${"pk_test_dave_mixed_up"}`, "pk_test_dave_mixed_up", /entry 1 \("dave"\)/],
    [
      "a publishable key without pk_",
      `carol:${CAROL_1.sk}:${CAROL_1.pk},dave:sk_test_dave_secret_99:sk_test_dave_not_public`,
      "sk_test_dave_not_public",
      /entry 2 \("dave"\)/,
    ],
    ["an entry that is only a key", "sk_live_pasted_alone_1234", "sk_live_pasted_alone_1234", /entry 1[^(]/],
  ])("%s: exits, naming the entry but not its keys", async (_what, merchants, secret, names) => {
    const refused = startServer({ env: { ...PRODUCTION, ONCEPAY_MERCHANTS: merchants } });
    const message = await refused.then(
      () => "started",
      (error: Error) => error.message,
    );
    expect(message).toMatch(/exited with 1/);
    expect(message).toMatch(names);
    expect(message).toMatch(/ONCEPAY_MERCHANTS/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain("sk_test_dave_secret_99");
    expect(message).not.toContain(CAROL_1.sk);
  });
});
