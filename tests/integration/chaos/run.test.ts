import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { stripeFor } from "@/fixtures/simulator-process";
import { check, type Finding } from "@/chaos/checker";
import { created } from "@/chaos/history";
import { chaosOptions, FAULT_KINDS } from "@/chaos/options";
import { quiesce } from "@/chaos/quiesce";
import { runChaos, type ChaosResult } from "@/chaos/run";
import type { Services } from "@/chaos/services";
import { findingLines, summaryTable } from "@/chaos/summary";
import { readTruth } from "@/chaos/truth";
import { apiClient } from "@/tests/support/api";

/**
 * `npm run chaos`, short: 20 s, two instances, every fault kind. The run must find nothing; then the
 * checker must find each corruption made to the database and the provider afterwards, or it proves
 * nothing by finding nothing.
 */
describe("a short chaos run", () => {
  let result: ChaosResult;
  let services: Services;

  beforeAll(async () => {
    result = await runChaos(chaosOptions({ durationSeconds: 20, instances: 2, clients: 6, seed: 1717, quiesceSeconds: 60 }), {
      keepServices: true,
      log: (line) => console.log(line),
    });
    services = result.services!;
    console.log(`${summaryTable(result.summary)}\n${findingLines(result.findings).join("\n")}`);
  }, 240_000);

  afterAll(async () => {
    await services?.stop();
  });

  it("pays, refunds and disputes through every fault, and the checker finds nothing", () => {
    const { summary } = result;
    // The run exercised what it claims to: checkouts that succeeded and were declined, refunds from
    // both sides, disputes, the fault headers and every fault kind at least once.
    expect(summary.checkouts).toBeGreaterThan(10);
    expect(summary.payments.succeeded).toBeGreaterThan(5);
    expect(summary.refunds.api + summary.refunds.atProvider).toBeGreaterThan(0);
    expect(Object.keys(summary.faultHeaders).length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(summary.faults).sort()).toEqual([...FAULT_KINDS].sort());
    expect(summary.drained).toBe(true);
    expect(findingLines(result.findings)).toEqual([]);
  });

  it("reports each corruption of the database and of the provider's ledger", async () => {
    const api = apiClient(services.proxy.url);
    const pay = async () => {
      for (;;) {
        const paid = await api.pay({ amount: 1000, currency: "usd" }, { key: newKey() });
        if (paid.status === 201) return paid.body as { id: string; providerPaymentId: string };
        if (paid.status < 500 && paid.status !== 409) throw new Error(`pay: ${paid.status} ${paid.text}`);
      }
    };
    const [dropCredit, chargeTwice, stuck, dropRefund] = [await pay(), await pay(), await pay(), await pay()];
    const refund = await api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": newKey() },
      body: JSON.stringify({ payment: dropRefund.id, amount: 300 }),
    });
    expect(refund.status).toBe(201);
    expect((await quiesce(services, 60_000)).drained).toBe(true);
    // A payment a client was told about, for the corruption only the clients' histories can see.
    const told = result.history.attempts.find((a) => a.operation === "payment" && created(a.via, a.final) && a.id)!;

    const findingsNow = async () => check({ truth: await readTruth(services.provider.url, services.database.url), history: result.history, logs: [] });
    const before = await findingsNow();
    const db = new pg.Client({ connectionString: services.database.url });
    await db.connect();
    try {
      await db.query("DELETE FROM ledger_entries WHERE source_type = 'payment' AND source_id = $1", [dropCredit.id]);
      await db.query("DELETE FROM ledger_entries WHERE source_type = 'refund' AND source_id = $1", [refund.body.id]);
      await db.query("UPDATE payments SET status = 'processing' WHERE id = $1", [stuck.id]);
      await db.query("UPDATE payments SET amount = amount + 1 WHERE id = $1", [told.id]);
      const { rows } = await db.query<{ id: string }>("SELECT id FROM events WHERE type = 'payment.succeeded' AND subject_id = $1", [chargeTwice.id]);
      await db.query("DELETE FROM consumer_inbox WHERE consumer = 'receipts' AND event_id = $1", [rows[0]!.id]);
    } finally {
      await db.end();
    }
    // A second PaymentIntent for one payment, as a provider key gone wrong would make.
    await stripeFor(services.provider.url).paymentIntents.create({
      amount: 1000,
      currency: "usd",
      confirm: true,
      payment_method: "pm_card_visa",
      metadata: { oncepay_payment: chargeTwice.id },
    });

    const after = await findingsNow();
    const fresh = after.filter((f) => !before.some((b) => b.check === f.check && b.subject === f.subject && b.detail === f.detail));
    const reported = (check: string, subject: string) => fresh.some((f: Finding) => f.check === check && f.subject === subject);
    const expected: [string, string][] = [
      ["ledger-credit", dropCredit.id],
      ["ledger-refunds", dropRefund.id],
      ["charged-twice", chargeTwice.id],
      ["processing-left", stuck.id],
      ["payment-vs-provider", stuck.id],
      ["client-201", `${told.merchant}/${told.key}`],
      ["payment-vs-provider", told.id!],
      ["inbox", "receipts"],
      ["revenue", "alice/usd"],
    ];
    expect(
      expected.filter(([c, s]) => !reported(c, s)),
      findingLines(fresh).join("\n"),
    ).toEqual([]);
  }, 120_000);
});
