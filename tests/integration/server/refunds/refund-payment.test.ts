import { allDelivered } from "@/tests/support/provider-ledger";
import { describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { STACK_KINDS, useOwnStack } from "@/tests/support/own-stack";
import { providerLedger, stripeFor } from "@/fixtures/simulator-process";
import { expectReconciled } from "@/tests/support/reconcile";

/**
 * The race a close read found: an API refund is reserved here (counted as pending), a refund of the
 * same money is made at the provider directly, and its charge.refunded arrives while the reservation
 * still explains it; then the provider refuses the API refund (nothing remains) and the reservation
 * is given back. The provider refunded, and before the fix the ledger never learnt of it. The
 * simulator holds the API refund before executing it (`provider-delay`), which opens the window.
 */
describe.each(STACK_KINDS)("an API refund the provider refuses while a refund made at the provider arrives (%s)", (kind) => {
  const stack = useOwnStack({ kind, webhooks: true });

  it("the provider's refund is in the ledger, once: the refunds here equal the provider's", async () => {
    const stripe = stripeFor(stack.provider.url, { maxNetworkRetries: 0 });
    const paid = await stack.api.pay({ amount: 1000, currency: "usd" }, { key: newKey() });
    expect(paid.status).toBe(201);
    const payment = paid.body as { id: string; providerPaymentId: string };
    await poll(() => allDelivered(stack.provider.url), { timeoutMs: 20_000, intervalMs: 100, message: "payment_intent.succeeded never delivered" });
    const before = await stack.api.balance();
    // The API refund: reserved at once, then held at the provider for two seconds before it executes.
    const viaApi = stack.api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": newKey(), "simulate-failure": "provider-delay=2000" },
      body: JSON.stringify({ payment: payment.id, amount: 1000 }),
    });
    await poll(async () => (await stack.api.request(`/api/v1/payments/${payment.id}`)).body.amountRefunded === 1000, {
      timeoutMs: 5_000,
      message: "the API refund was never reserved",
    });
    // Meanwhile the whole amount is refunded at the provider directly, and its webhook arrives.
    await stripe.refunds.create({ payment_intent: payment.providerPaymentId, amount: 1000 });
    await poll(() => allDelivered(stack.provider.url), { timeoutMs: 20_000, intervalMs: 100, message: "charge.refunded never delivered" });
    // Then the held API refund executes, and the provider refuses it: nothing remains.
    const refused = await viaApi;
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("refund_exceeds_payment");
    const after = await stack.api.request(`/api/v1/payments/${payment.id}`);
    expect(after.body.amountRefunded).toBe(1000);
    expect(await stack.api.balance()).toBe(before - 1000);
    const refundedThere = (await providerLedger(stack.provider.url)).refunds.filter((r) => r.payment_intent === payment.providerPaymentId);
    expect(refundedThere.reduce((sum, r) => sum + r.amount, 0)).toBe(1000);
  });

  it("racing many ways at once on many payments: per payment, the refunds here equal the provider's", async () => {
    const stripe = stripeFor(stack.provider.url, { maxNetworkRetries: 0 });
    const payments = await Promise.all(Array.from({ length: 8 }, (_, i) => stack.api.pay({ amount: 600 + i, currency: "usd" }, { key: newKey() })));
    await Promise.all(
      payments.map(async ({ body }, i) => {
        const viaApi = (amount: number, hold: number) =>
          stack.api.request("/api/v1/refunds", {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": newKey(), "simulate-failure": `provider-delay=${hold}` },
            body: JSON.stringify({ payment: body.id, amount }),
          });
        const atProvider = (amount: number) => stripe.refunds.create({ payment_intent: body.providerPaymentId, amount }).catch(() => null);
        await Promise.all([viaApi(400, 300 + i * 50), atProvider(300), viaApi(200, 100), atProvider(250)]);
      }),
    );
    await poll(() => allDelivered(stack.provider.url), { timeoutMs: 30_000, intervalMs: 200, message: "the provider never delivered every event" });
    for (const { body } of payments) {
      const there = (await providerLedger(stack.provider.url)).refunds
        .filter((r) => r.payment_intent === body.providerPaymentId)
        .reduce((n, r) => n + r.amount, 0);
      expect((await stack.api.request(`/api/v1/payments/${body.id}`)).body.amountRefunded, body.id).toBe(there);
    }
  });

  it("after the suite, the provider's ledger and this one agree, per payment", async () => {
    if (kind === "embedded") await stack.server.stop(); // the embedded database is read once its server let go of it
    await expectReconciled(stack.provider.url, [stack.local], 20_000);
  });
});
