import { describe, expect, inject, it } from "vitest";
import { newKey } from "@/fixtures";
import { apiClient, expectProblemShape } from "@/tests/support/api";

// The contract's 400 rows: a refused key or body is answered at once and saves nothing under the key.
describe.each(["postgres", "embedded", "redis"] as const)("POST /api/v1/payments refusals on %s", (database) => {
  const api = apiClient(inject("servers")[database]);
  const body = (amount = 1234) => ({ amount, currency: "usd", description: "contract test", customer: "cus_123" });

  it("Idempotency-Key missing: 400", async () => {
    const res = await api.pay(body(), { key: null });
    expectProblemShape(res, 400, "idempotency_key_missing");
  });

  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["a space", "has space"],
    ["a non-ASCII character", "caf\u00e9"],
    ["a tab", "tab\there"],
  ])("Idempotency-Key with %s: 400", async (_what, key) => {
    const res = await api.pay(body(), { key });
    expectProblemShape(res, 400, "idempotency_key_invalid");
  });

  it("a 255-character key of visible ASCII is accepted", async () => {
    const key = ("!~" + newKey()).padEnd(255, "Z");
    const res = await api.pay(body(), { key });
    expect(res.status).toBe(201);
    expect(res.body.idempotencyKey).toBe(key);
  });

  it("body not JSON: 400 and nothing saved under the key", async () => {
    const key = newKey();
    const res = await api.pay("{amount: 5", { key });
    expectProblemShape(res, 400, "invalid_json");
    const retry = await api.pay(body(555), { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it.each([
    ["amount 0", { amount: 0, currency: "usd" }, "amount"],
    ["amount too large", { amount: 100_000_000, currency: "usd" }, "amount"],
    ["fractional amount", { amount: 10.5, currency: "usd" }, "amount"],
    ["amount as string", { amount: "10", currency: "usd" }, "amount"],
    ["unknown currency", { amount: 10, currency: "btc" }, "currency"],
    ["missing currency", { amount: 10 }, "currency"],
    ["description too long", { amount: 10, currency: "usd", description: "d".repeat(501) }, "description"],
    ["customer too long", { amount: 10, currency: "usd", customer: "c".repeat(256) }, "customer"],
    ["unknown field", { amount: 10, currency: "usd", capture: true }, "(body)"],
    ["an array", [1, 2], "(body)"],
  ])("validation failure (%s): 400 with field errors, nothing saved", async (_what, bad, field) => {
    const key = newKey();
    const res = await api.pay(bad, { key });
    expectProblemShape(res, 400, "validation_failed");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    const retry = await api.pay(body(321), { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("an oversized body is a 413 problem and saves nothing", async () => {
    const key = newKey();
    const res = await api.pay({ amount: 10, currency: "usd", description: "x".repeat(70_000) }, { key });
    expectProblemShape(res, 413, "payload_too_large");
    expect((await api.pay(body(12), { key })).status).toBe(201);
  });
});
