import { describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { intentsFor } from "@/tests/support/provider-ledger";
import { useOwnStack } from "@/tests/support/own-stack";
import { trpcClient } from "@/tests/support/trpc";
import { deliver, providerEvent, webhookNote } from "@/tests/support/webhooks";

const ROTATED = "whsec_rotated_in";

/**
 * The receiver, over real HTTP, on a server and provider of its own: its events are made up here
 * (signed with the SDK), so they would not reconcile with a provider's ledger.
 */
describe("POST /api/v1/webhooks/provider", () => {
  // Mid-rotation: the new secret and the default one (being retired) both verify.
  const stack = useOwnStack({ serverEnv: { PROVIDER_WEBHOOK_SECRET: ROTATED, PROVIDER_WEBHOOK_SECRET_PREVIOUS: "whsec_oncepay_dev" } });

  async function paid(amount: number, currency = "usd") {
    const res = await stack.api.pay({ amount, currency }, { key: newKey() });
    expect(res.status).toBe(201);
    return res.body as { id: string; providerPaymentId: string; amount: number };
  }

  it.each([
    ["a missing header", { signature: null }],
    ["a wrong secret", { secret: "whsec_wrong" }],
    ["a stale timestamp", { timestamp: Math.floor(Date.now() / 1000) - 301 }],
    ["a tampered body", { tamper: (raw: string) => raw.replace('"amount_refunded":100', '"amount_refunded":900') }],
  ])("refuses %s with a 400 problem and applies nothing", async (_what, options) => {
    const payment = await paid(1000);
    const before = await stack.api.balance();
    const event = providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: 100 });
    const refused = await deliver(stack.server.url, event, options);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ code: "invalid_signature" });
    expect(await stack.api.balance()).toBe(before);
    // Nothing was stored under the event id: the genuine delivery is applied.
    expect((await deliver(stack.server.url, event)).status).toBe(200);
    expect(await stack.api.balance()).toBe(before - 100);
  });

  it("verifies with either secret during a rotation", async () => {
    const payment = await paid(500);
    const event = providerEvent("charge.dispute.created", { id: `dp_${newKey()}`, payment_intent: payment.providerPaymentId, amount: 10 });
    expect((await deliver(stack.server.url, event, { secret: ROTATED })).status).toBe(200);
    const other = providerEvent("charge.dispute.created", { id: `dp_${newKey()}`, payment_intent: payment.providerPaymentId, amount: 10 });
    expect((await deliver(stack.server.url, other, { secret: "whsec_oncepay_dev" })).status).toBe(200);
  });

  it("the same event 50 times at once: 50 × 200, applied once, the rest replays", async () => {
    const payment = await paid(2000);
    const before = await stack.api.balance();
    const event = providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: 700 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => deliver(stack.server.url, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(answers.every((a) => JSON.parse(a.text).received === true)).toBe(true);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
    expect(await stack.api.balance()).toBe(before - 700);
    const after = await stack.api.request(`/api/v1/payments/${payment.id}`);
    expect(after.body.amountRefunded).toBe(700);
  });

  it("refund totals in any order: the largest wins, nothing counts twice", async () => {
    const payment = await paid(1000);
    const before = await stack.api.balance();
    const totals = [600, 200, 900, 600, 300];
    for (const total of totals) {
      const res = await deliver(
        stack.server.url,
        providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: total }),
      );
      expect(res.status).toBe(200);
    }
    expect(await stack.api.balance()).toBe(before - 900);
    // Never more than was paid, whatever an event claims: recorded with the reason, not applied.
    const beyond = providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: 5000 });
    expect((await deliver(stack.server.url, beyond)).status).toBe(200);
    expect((await stack.api.request(`/api/v1/payments/${payment.id}`)).body.amountRefunded).toBe(900);
    expect(await stack.api.balance()).toBe(before - 900);
    expect(await webhookNote(stack.database.url, beyond.id)).toMatchObject({ applied: false, note: "refund_exceeds_payment" });
  });

  it("a dispute debits the ledger once, however often it arrives", async () => {
    const payment = await paid(800);
    const before = await stack.api.balance();
    const event = providerEvent("charge.dispute.created", { id: `dp_${newKey()}`, payment_intent: payment.providerPaymentId, amount: 800 });
    for (let i = 0; i < 3; i++) expect((await deliver(stack.server.url, event)).status).toBe(200);
    // Another event id for the same dispute (the provider resent it as new): still once, by source.
    expect((await deliver(stack.server.url, { ...event, id: `evt_${newKey()}` })).status).toBe(200);
    expect(await stack.api.balance()).toBe(before - 800);
  });

  it("a signed event that lacks what applying it needs: a 400 problem, and nothing claimed", async () => {
    const payment = await paid(600);
    const before = await stack.api.balance();
    const event = providerEvent("charge.dispute.created", { payment_intent: payment.providerPaymentId });
    const refused = await deliver(stack.server.url, event);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ code: "validation_failed" });
    const fixed = await deliver(stack.server.url, { ...event, data: { object: { payment_intent: payment.providerPaymentId, amount: 60 } } });
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
    expect(await stack.api.balance()).toBe(before - 60);
  });

  it("an event about an unknown PaymentIntent, or of another type: 200, nothing applied", async () => {
    const before = await stack.api.balance();
    expect((await deliver(stack.server.url, providerEvent("payment_intent.succeeded", { id: "pi_unknown", metadata: {} }))).status).toBe(200);
    expect((await deliver(stack.server.url, providerEvent("customer.created", { id: "cus_1" }))).status).toBe(200);
    expect(await stack.api.balance()).toBe(before);
  });

  it("payment_intent.succeeded before our own commit: one payment, one ledger entry, the client's 201 unchanged", async () => {
    const key = newKey();
    const before = await stack.api.balance();
    const body = { amount: 1300, currency: "usd" };
    const lost = await stack.api.pay(body, { key, headers: { "simulate-failure": "provider-timeout-after-charge" } });
    expect(lost.body.code).toBe("provider_unavailable");
    const [processing] = await stack.api.paymentsWithKey(key);
    const [intent] = await intentsFor(stack.provider.url, processing!.id);
    // The provider's webhook overtakes our own retry.
    const early = await deliver(stack.server.url, providerEvent("payment_intent.succeeded", { ...intent }));
    expect(early.status).toBe(200);
    expect((await stack.api.request(`/api/v1/payments/${processing!.id}`)).body.status).toBe("succeeded");
    const retry = await stack.api.pay(body, { key });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ id: processing!.id, status: "succeeded", providerPaymentId: intent!.id });
    expect(await stack.api.balance()).toBe(before + 1300);
  });

  it("API refunds and charge.refunded racing on one payment: never more refunded than paid", async () => {
    const payment = await paid(1000);
    const before = await stack.api.balance();
    const refund = () =>
      stack.api.request("/api/v1/refunds", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": newKey() },
        body: JSON.stringify({ payment: payment.id, amount: 300 }),
      });
    const totals = [100, 250, 400, 550, 700, 850, 1000, 1200];
    const events = totals.map((total) =>
      providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: total }),
    );
    await Promise.all([...Array.from({ length: 6 }, refund), ...events.map((e) => deliver(stack.server.url, e))]);
    const after = (await stack.api.request(`/api/v1/payments/${payment.id}`)).body as { amountRefunded: number };
    expect(after.amountRefunded).toBeLessThanOrEqual(1000);
    // The ledger moved by exactly what the payment counts as refunded: nothing twice, nothing lost.
    expect(await stack.api.balance()).toBe(before - after.amountRefunded);
  });

  it("forged but correctly signed claims beyond the payment: 200, recorded with the reason, not applied, counted", async () => {
    const payment = await paid(1000);
    const trpc = trpcClient(stack.server.url);
    const counted = async () => {
      const summary = await trpc.dashboard.provider.query({ window: "1h" });
      return { refused: summary.refused, notes: new Map(summary.notApplied.map((n) => [n.note, n.count])) };
    };
    const countedBefore = await counted();
    const before = await stack.api.balance();
    const intent = { id: payment.providerPaymentId, object: "payment_intent", amount: 1000, currency: "usd", metadata: { oncepay_payment: payment.id } };
    const forged = [
      [providerEvent("payment_intent.succeeded", { ...intent, currency: "eur" }), "currency_mismatch"],
      [providerEvent("payment_intent.succeeded", { ...intent, amount: 1 }), "amount_mismatch"],
      [providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: 1001 }), "refund_exceeds_payment"],
      [providerEvent("charge.dispute.created", { id: `dp_${newKey()}`, payment_intent: payment.providerPaymentId, amount: 1001 }), "dispute_exceeds_payment"],
    ] as const;
    for (const [event, reason] of forged) {
      const res = await deliver(stack.server.url, event);
      expect(res.status).toBe(200);
      expect(await webhookNote(stack.database.url, event.id), reason).toMatchObject({ applied: false, note: reason });
    }
    expect(await stack.api.balance()).toBe(before);
    expect((await stack.api.request(`/api/v1/payments/${payment.id}`)).body).toMatchObject({
      status: "succeeded",
      amount: 1000,
      currency: "usd",
      amountRefunded: 0,
    });
    // Each reason counted on the dashboard's provider panel, once more than before.
    const countedAfter = await counted();
    for (const [, reason] of forged) expect(countedAfter.notes.get(reason), reason).toBe((countedBefore.notes.get(reason) ?? 0) + 1);
    expect(countedAfter.refused).toBe(countedBefore.refused + forged.length);
  });

  it("the dashboard's provider panel counts what the endpoint saw", async () => {
    const trpc = trpcClient(stack.server.url);
    // The request history is written a quarter second behind: poll for the earlier tests' traffic.
    const summary = await poll(
      async () => {
        const now = await trpc.dashboard.provider.query({ window: "1h" });
        return now.replayed >= 49 && now.rejected >= 4 && now;
      },
      { timeoutMs: 5_000, message: "the panel never counted the duplicates and refusals" },
    );
    expect(summary.received).toBeGreaterThanOrEqual(summary.replayed + summary.rejected);
    expect(summary.applied).toBeGreaterThan(0);
    expect(summary.notApplied.map((n) => n.note)).toEqual(expect.arrayContaining(["unknown_payment_intent", "dispute_already_debited"]));
    expect(summary.refunds.find((r) => r.origin === "provider")?.count).toBeGreaterThan(0);
  });
});
