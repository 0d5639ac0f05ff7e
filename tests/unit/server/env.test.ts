import { afterEach, describe, expect, it, vi } from "vitest";

/** server/env.ts as a process with these variables would load it (in demo mode unless they say otherwise). */
async function load(vars: Record<string, string>) {
  for (const [name, value] of Object.entries({ ONCEPAY_DEMO: "1", ...vars })) vi.stubEnv(name, value);
  vi.resetModules();
  return (await import("@/server/env")).env;
}

describe("the database bounds in the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("default to what keeps a hung database's answers within 5 s", async () => {
    const env = await load({});
    expect([env.DATABASE_CONNECT_TIMEOUT_MS, env.DATABASE_STATEMENT_TIMEOUT_MS, env.DATABASE_TRANSACTION_TIMEOUT_MS]).toEqual([2_000, 2_000, 3_000]);
  });

  it("refuse a transaction or statement bound that is not below the outbox's grace period", async () => {
    await expect(load({ EVENTS_GRACE_SECONDS: "5", DATABASE_TRANSACTION_TIMEOUT_MS: "5000" })).rejects.toThrow(
      /EVENTS_GRACE_SECONDS[\s\S]*DATABASE_TRANSACTION_TIMEOUT_MS/,
    );
    await expect(load({ EVENTS_GRACE_SECONDS: "2", DATABASE_STATEMENT_TIMEOUT_MS: "2500", DATABASE_TRANSACTION_TIMEOUT_MS: "1000" })).rejects.toThrow(
      /DATABASE_STATEMENT_TIMEOUT_MS/,
    );
    await expect(load({ EVENTS_GRACE_SECONDS: "5", DATABASE_TRANSACTION_TIMEOUT_MS: "4999" })).resolves.toMatchObject({
      DATABASE_TRANSACTION_TIMEOUT_MS: 4999,
    });
  });
});

describe("the operator settings in the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("default to no token and demo mode off", async () => {
    // The runner sets demo mode for the suites (vitest.config.mts): empty counts as unset.
    const env = await load({ ONCEPAY_DEMO: "", PROVIDER_WEBHOOK_SECRET: "whsec_unit_test_x" });
    expect(env.ONCEPAY_OPERATOR_TOKEN).toBeUndefined();
    expect(env.ONCEPAY_DEMO).toBe(false);
    expect((await load({ ONCEPAY_DEMO: "1" })).ONCEPAY_DEMO).toBe(true);
  });

  it("refuse a short token without printing it", async () => {
    const refused = load({ ONCEPAY_OPERATOR_TOKEN: "hunter2-secret" });
    await expect(refused).rejects.toThrow(/ONCEPAY_OPERATOR_TOKEN/);
    await expect(refused).rejects.not.toThrow(/hunter2-secret/);
  });
});

describe("merchants and demo mode in the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const SECRET = { PROVIDER_WEBHOOK_SECRET: "whsec_unit_test_x" };

  it("demo mode seeds the demo merchants; the configured ones come after and win on the same id", async () => {
    const env = await load({ ONCEPAY_DEMO: "1", ONCEPAY_MERCHANTS: "alice:sk_test_alice_rotated,carol:sk_test_carol_1:pk_test_carol_1" });
    expect(env.merchants.map((m) => [m.id, m.apiKey])).toEqual([
      ["bob", "sk_test_bob"],
      ["alice", "sk_test_alice_rotated"],
      ["carol", "sk_test_carol_1"],
    ]);
  });

  it("without demo mode, only ONCEPAY_MERCHANTS", async () => {
    const env = await load({ ...SECRET, ONCEPAY_DEMO: "0", ONCEPAY_MERCHANTS: "carol:sk_test_carol_1" });
    expect(env.ONCEPAY_DEMO).toBe(false);
    expect(env.merchants.map((m) => m.id)).toEqual(["carol"]);
  });

  it("refuses the default webhook secret outside demo mode, saying to set it", async () => {
    // An empty variable counts as unset. NEXT_RUNTIME: in the server, which receives the webhooks.
    const server = { NEXT_RUNTIME: "nodejs" };
    await expect(load({ ...server, ONCEPAY_DEMO: "" })).rejects.toThrow(/PROVIDER_WEBHOOK_SECRET[\s\S]*set PROVIDER_WEBHOOK_SECRET/);
    await expect(load({ ...server, ONCEPAY_DEMO: "0", PROVIDER_WEBHOOK_SECRET: "whsec_oncepay_dev" })).rejects.toThrow(/PROVIDER_WEBHOOK_SECRET/);
    await expect(load({ ...server, ONCEPAY_DEMO: "1" })).resolves.toMatchObject({ PROVIDER_WEBHOOK_SECRET: "whsec_oncepay_dev" });
    // A script (a migration, a benchmark) receives no webhooks, and the build runs nothing.
    await expect(load({ NEXT_RUNTIME: "", ONCEPAY_DEMO: "0" })).resolves.toMatchObject({ PROVIDER_WEBHOOK_SECRET: "whsec_oncepay_dev" });
    await expect(load({ ...server, NEXT_PHASE: "phase-production-build", ONCEPAY_DEMO: "0" })).resolves.toMatchObject({ ONCEPAY_DEMO: false });
  });

  it("refuses a bad ONCEPAY_MERCHANTS without printing its keys", async () => {
    const error = await load({ ...SECRET, ONCEPAY_MERCHANTS: "carol:sk_test_carol_1,dave:sk_test_dave_1:sk_test_dave_public" }).catch((e: Error) => e.message);
    expect(error).toMatch(/ONCEPAY_MERCHANTS entry 2 \("dave"\)/);
    expect(error).not.toMatch(/sk_test_carol_1|sk_test_dave/);
  });

  it("refuses a configured key that is a demo merchant's in demo mode", async () => {
    await expect(load({ ONCEPAY_DEMO: "1", ONCEPAY_MERCHANTS: "carol:sk_test_alice" })).rejects.toThrow(/"carol": a key is also a demo merchant's/);
  });
});

describe("an invalid environment's message", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("never prints a secret it was given", async () => {
    const failure = await load({
      ONCEPAY_MERCHANTS: "carol:sk_live_carol_secret,not a merchant sk_live_dave_secret",
      PROVIDER_WEBHOOK_SECRET_PREVIOUS: "whsec_previous_value",
      EVENTS_GRACE_SECONDS: "abc",
    }).then(
      () => "",
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/Invalid environment/);
    expect(failure).not.toMatch(/sk_live_carol_secret|sk_live_dave_secret|whsec_previous_value/);
  });

  it("redacts values of secret variables and URL credentials, whole and in pieces", async () => {
    vi.resetModules();
    const { redact } = await import("@/server/env");
    const raw = { STRIPE_SECRET_KEY: "sk_live_abc", ONCEPAY_MERCHANTS: "carol:sk_carol", NATS_URL: "nats://app:s3cr%40t@nats:4222", PORT: "3000" };
    expect(redact("got sk_live_abc, sk_carol, s3cr@t and s3cr%40t on 3000", raw)).toBe("got [redacted], [redacted], [redacted] and [redacted] on 3000");
  });
});
