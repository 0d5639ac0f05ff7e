import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { TEST_DIST_DIR } from "@/fixtures/server-process";
import { deliver, providerEvent } from "../../../support/webhooks";
import { useOwnStack } from "../../../support/own-stack";

/**
 * Contract, "Operators": keys, API keys, tokens and signatures never appear in logs, metrics
 * labels or error bodies. A production server (no demo mode) with secrets of its own, logging
 * everything (debug), takes a checkout, a refund, the provider's webhooks and the usual mistakes;
 * then nothing it printed, and no error it answered, may hold any of them.
 */
const random = () => randomBytes(12).toString("hex");
const SECRET_KEY = `sk_test_carol_${random()}`;
const PUBLISHABLE_KEY = `pk_test_carol_${random()}`;
const OPERATOR_TOKEN = `op_${random()}${random()}`;
const WEBHOOK_SECRET = `whsec_${random()}`;
const PROVIDER_KEY = `sk_test_provider_${random()}`;

describe("secrets during a checkout, a refund and webhooks", () => {
  const stack = useOwnStack({
    webhooks: true,
    providerEnv: { PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET },
    serverEnv: {
      ONCEPAY_DEMO: "0",
      ONCEPAY_MERCHANTS: `carol:${SECRET_KEY}:${PUBLISHABLE_KEY}`,
      ONCEPAY_OPERATOR_TOKEN: OPERATOR_TOKEN,
      PROVIDER_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_SECRET_KEY: PROVIDER_KEY,
      LOG_LEVEL: "debug",
    },
  });

  it("reach no log line, no error body and no browser chunk", async () => {
    const base = stack.server.url;
    const errors: string[] = [];
    const signatures: string[] = [];
    const idempotencyKeys: string[] = [];
    const call = async (url: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
      const res = await fetch(`${base}${url}`, init);
      const text = await res.text();
      // Error bodies, and every header of every answer (a 2xx body is the merchant's own view).
      if (res.status >= 400) errors.push(text);
      for (const [name, value] of res.headers) if (name !== "set-cookie") errors.push(`${name}: ${value}`);
      return { status: res.status, text, headers: res.headers };
    };
    const bearer = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });

    // The checkout: the browser's tRPC call with the publishable key.
    const checkoutKey = newKey();
    idempotencyKeys.push(checkoutKey);
    const created = await call("/api/trpc/payment.create", {
      method: "POST",
      headers: bearer(PUBLISHABLE_KEY),
      body: JSON.stringify({ amount: 4200, currency: "usd", customer: "cus_secret_test", idempotencyKey: checkoutKey }),
    });
    expect(created.status).toBe(200);
    const paymentId = (JSON.parse(created.text) as { result: { data: { id: string } } }).result.data.id;

    // A refund with the secret key, and a replay of it.
    const refundKey = newKey();
    idempotencyKeys.push(refundKey);
    const refundInit = {
      method: "POST",
      headers: { ...bearer(SECRET_KEY), "idempotency-key": refundKey },
      body: JSON.stringify({ payment: paymentId, amount: 1000 }),
    };
    expect((await call("/api/v1/refunds", refundInit)).status).toBe(201);
    expect((await call("/api/v1/refunds", refundInit)).status).toBe(201);

    // The provider's own webhooks for both arrive, signed with the secret.
    await poll(
      async () => {
        const res = await fetch(`${base}/api/trpc/dashboard.provider?input=${encodeURIComponent(JSON.stringify({ window: "1h" }))}`, {
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        });
        const body = (await res.json()) as { result?: { data?: { received?: number } } };
        return (body.result?.data?.received ?? 0) >= 2;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: "the provider's webhooks were not applied" },
    );

    // Mistakes, each answered with a problem: a wrong key, a publishable key where a secret one is
    // needed, a wrong operator token, a tampered webhook, a replayed signature on another body.
    expect((await call("/api/v1/balance", { headers: bearer(`${SECRET_KEY}x`) })).status).toBe(401);
    expect((await call("/api/v1/balance", { headers: bearer(PUBLISHABLE_KEY) })).status).toBe(403);
    expect((await call("/api/metrics", { headers: { authorization: `Bearer ${OPERATOR_TOKEN}x` } })).status).toBe(401);
    expect((await call("/api/trpc/dashboard.jobs", { headers: { authorization: `Bearer ${SECRET_KEY}` } })).status).toBe(401);
    const forged = providerEvent("payment_intent.succeeded", { id: "pi_forged", object: "payment_intent", amount: 1, currency: "usd", metadata: {} });
    const tampered = await deliver(base, forged, { secret: WEBHOOK_SECRET, tamper: (raw) => raw.replace('"amount":1', '"amount":2') });
    expect(tampered.status).toBe(400);
    errors.push(tampered.text);
    const wrong = await deliver(base, forged, { secret: `${WEBHOOK_SECRET}x` });
    expect(wrong.status).toBe(400);
    errors.push(wrong.text);

    // Signing in: the cookie is sealed, never the token itself.
    const signIn = await fetch(`${base}/api/operator/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: OPERATOR_TOKEN }),
    });
    expect(signIn.status).toBeLessThan(300);
    const cookie = signIn.headers.get("set-cookie") ?? "";
    expect(cookie).not.toContain(OPERATOR_TOKEN);
    errors.push(await signIn.text());

    // Metrics: no secret in a label or a value.
    const metrics = await call("/api/metrics", { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(metrics.status).toBe(200);
    errors.push(metrics.text);

    // The signatures the provider sent are in no log line either: collect the ones we sent.
    const raw = JSON.stringify(providerEvent("customer.created", { id: "cus_x", object: "customer" }));
    const header = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: WEBHOOK_SECRET });
    const signed = await deliver(base, raw, { signature: header });
    expect(signed.status).toBe(200);
    signatures.push(
      ...header
        .split(",")
        .filter((part) => part.startsWith("v1="))
        .map((part) => part.slice(3)),
    );

    const secrets = [SECRET_KEY, PUBLISHABLE_KEY, OPERATOR_TOKEN, WEBHOOK_SECRET, PROVIDER_KEY, ...signatures];
    const logs = stack.server.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(logs, "server output").not.toContain(secret);
      for (const answer of errors) expect(answer, "an answer's error body or header").not.toContain(secret);
    }
    // Idempotency keys appear in logs hashed only.
    for (const key of idempotencyKeys) expect(logs, "server output").not.toContain(key);

    // The browser's chunks hold no secret key (the build knows only the demo's, which no client module may import).
    const chunks = listFiles(path.join(TEST_DIST_DIR, "static")).filter((f) => f.endsWith(".js"));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      const js = readFileSync(chunk, "utf8");
      expect(js, chunk).not.toMatch(/sk_test_[a-z0-9_]+|whsec_[a-z0-9_]+/);
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}
