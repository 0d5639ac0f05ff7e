import { afterEach, describe, expect, it, vi } from "vitest";

/** server/env.ts as a process with these variables would load it. */
async function load(vars: Record<string, string>) {
  for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value);
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
