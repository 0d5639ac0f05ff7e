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

describe("the operator settings in the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("default to no token and demo mode off", async () => {
    const env = await load({});
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
