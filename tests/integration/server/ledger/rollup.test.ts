import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { newKey, poll, type MerchantName } from "@/fixtures";
import { stripeFor } from "@/fixtures/simulator-process";
import { STACK_KINDS, useOwnStack, type OwnStack } from "@/tests/support/own-stack";
import { allDelivered } from "@/tests/support/provider-ledger";
import { expectReconciled } from "@/tests/support/reconcile";

const run = promisify(execFile);

const MERCHANTS: MerchantName[] = ["alice", "bob"];
const CURRENCIES = ["usd", "eur", "gbp", "jpy"];

// Per merchant and currency: the ledger's sum and count, and the rollup's (its stripes summed).
const LEDGER = `SELECT merchant_id || '/' || currency AS k, sum(amount)::float8 AS amount, count(*)::float8 AS entries
                  FROM ledger_entries GROUP BY 1 ORDER BY 1`;
const ROLLUP = `SELECT merchant_id || '/' || currency AS k, sum(amount)::float8 AS amount, sum(entries)::float8 AS entries
                  FROM ledger_balances GROUP BY 1 HAVING sum(entries) <> 0 OR sum(amount) <> 0 ORDER BY 1`;
const STRIPES = "SELECT count(*)::int AS n FROM ledger_balances WHERE amount <> 0";

interface Totals {
  ledger: { k: string; amount: number; entries: number }[];
  rollup: { k: string; amount: number; entries: number }[];
  stripes: number;
}

/** Reads both sides; an embedded database only once its server has stopped (one process at a time). */
async function totals(stack: OwnStack): Promise<Totals> {
  if (stack.kind === "postgres") {
    const client = new pg.Client({ connectionString: stack.database.url });
    await client.connect();
    try {
      const q = async <R extends pg.QueryResultRow>(text: string) => (await client.query<R>(text)).rows;
      return { ledger: await q(LEDGER), rollup: await q(ROLLUP), stripes: (await q<{ n: number }>(STRIPES))[0]!.n };
    } finally {
      await client.end();
    }
  }
  const lite = await PGlite.create({ dataDir: path.join((stack.local as { dataDir: string }).dataDir, "pglite") });
  try {
    const q = async <R>(text: string) => (await lite.query<R>(text)).rows;
    return { ledger: await q(LEDGER), rollup: await q(ROLLUP), stripes: (await q<{ n: number }>(STRIPES))[0]!.n };
  } finally {
    await lite.close();
  }
}

/** GET /api/v1/balance of every merchant, as `merchant/currency` → amount. */
async function balances(stack: OwnStack): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const merchant of MERCHANTS) {
    const res = await stack.api.request("/api/v1/balance", { merchant });
    expect(res.status).toBe(200);
    for (const b of res.body.available as { currency: string; amount: number }[]) out[`${merchant}/${b.currency}`] = b.amount;
  }
  return out;
}

/**
 * Payments on two merchants in four currencies, all at once; then, all at once, API refunds, refunds
 * made at the provider and disputes, whose webhooks the provider delivers in chaos mode (duplicated,
 * concurrent, shuffled). Every entry they write moves the rollup in its own transaction.
 */
async function moveMoney(stack: OwnStack, perPair: number): Promise<void> {
  const stripe = stripeFor(stack.provider.url);
  const orders = MERCHANTS.flatMap((merchant) => CURRENCIES.flatMap((currency) => Array.from({ length: perPair }, (_, i) => ({ merchant, currency, i }))));
  const paid = await Promise.all(
    orders.map(async (o) => ({ ...o, res: await stack.api.pay({ amount: 1000 + o.i * 7, currency: o.currency }, { key: newKey(), merchant: o.merchant }) })),
  );
  expect(paid.map((p) => p.res.status)).toEqual(paid.map(() => 201));
  await Promise.all(
    paid.map(async ({ merchant, i, res }) => {
      const payment = res.body as { id: string; providerPaymentId: string };
      if (i % 3 === 0) {
        const refund = await stack.api.request("/api/v1/refunds", {
          method: "POST",
          merchant,
          headers: { "content-type": "application/json", "idempotency-key": newKey() },
          body: JSON.stringify({ payment: payment.id, amount: 300 }),
        });
        expect(refund.status).toBe(201);
      }
      if (i % 3 === 1) await stripe.refunds.create({ payment_intent: payment.providerPaymentId, amount: 250 });
      if (i % 2 === 0) {
        const dispute = await fetch(`${stack.provider.url}/_simulator/disputes`, {
          method: "POST",
          body: new URLSearchParams({ payment_intent: payment.providerPaymentId, amount: "100" }),
        });
        expect(dispute.ok).toBe(true);
      }
    }),
  );
  await poll(() => allDelivered(stack.provider.url), { timeoutMs: 60_000, intervalMs: 250, message: "the provider never delivered every event" });
}

describe.each(STACK_KINDS)("the balance rollup kept with the ledger (%s)", (kind) => {
  const stack = useOwnStack({ kind, webhooks: true, providerEnv: { PROVIDER_WEBHOOK_CHAOS: "1" } });

  it("equals the ledger's sum after concurrent payments, refunds and disputes on several merchants and currencies", async () => {
    await moveMoney(stack, kind === "postgres" ? 6 : 3);
    const served = await balances(stack);
    if (kind === "embedded") await stack.server.stop();
    const t = await totals(stack);
    // Every kind of entry was written, on every merchant and currency.
    expect(t.ledger.map((l) => l.k)).toEqual(MERCHANTS.flatMap((m) => CURRENCIES.map((c) => `${m}/${c}`)).sort());
    expect(t.ledger.every((l) => l.entries > (kind === "postgres" ? 6 : 3))).toBe(true);
    expect(t.rollup).toEqual(t.ledger);
    expect(served).toEqual(Object.fromEntries(t.ledger.map((l) => [l.k, l.amount])));
    // Concurrent transactions landed on more than one stripe per merchant and currency.
    expect(t.stripes).toBeGreaterThan(t.ledger.length);
    if (kind === "postgres") await expectReconciled(stack.provider.url, [{ url: stack.database.url }], 10_000);
  }, 240_000);

  it.runIf(kind === "postgres")(
    "npm run ledger:rebuild restores a tampered rollup to the ledger's sums, while payments go on",
    async () => {
      const db = new pg.Client({ connectionString: stack.database.url });
      await db.connect();
      try {
        const before = await balances(stack);
        await db.query("UPDATE ledger_balances SET amount = amount + 1 WHERE merchant_id = 'alice' AND currency = 'usd'");
        await db.query("DELETE FROM ledger_balances WHERE merchant_id = 'bob' AND currency = 'eur'");
        // A currency the merchant never moved.
        await db.query("INSERT INTO ledger_balances (merchant_id, currency, stripe, amount, entries) VALUES ('bob', 'chf', 0, 555, 1)");
        // The balance is read from the rollup: the tampering shows.
        expect(await balances(stack)).not.toEqual(before);

        const load = Promise.all(
          Array.from({ length: 20 }, (_, i) => stack.api.pay({ amount: 500 + i, currency: "usd" }, { key: newKey(), merchant: MERCHANTS[i % 2] })),
        );
        const { stdout } = await run(process.execPath, ["--import", "tsx", path.resolve("scripts/ledger-rebuild.ts")], {
          env: { ...process.env, DATABASE_URL: stack.database.url, LOG_LEVEL: "warn" },
        });
        expect((await load).map((r) => r.status)).toEqual(Array(20).fill(201));
        const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { corrected: { merchantId: string; currency: string }[] };
        expect(report.corrected.map((d) => `${d.merchantId}/${d.currency}`).sort()).toEqual(["alice/usd", "bob/chf", "bob/eur"]);

        const t = await totals(stack);
        expect(t.rollup).toEqual(t.ledger);
        expect(await balances(stack)).toEqual(Object.fromEntries(t.ledger.map((l) => [l.k, l.amount])));
      } finally {
        await db.end();
      }
    },
    120_000,
  );
});
