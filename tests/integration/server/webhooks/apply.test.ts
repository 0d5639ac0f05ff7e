import { allDelivered } from "@/tests/support/provider-ledger";
import { describe, expect, it } from "vitest";
import { newKey, poll } from "@/fixtures";
import { useOwnStack } from "@/tests/support/own-stack";
import { providerLedger, stripeFor } from "@/fixtures/simulator-process";
import { expectReconciled } from "@/tests/support/reconcile";
import { trpcClient } from "@/tests/support/trpc";
import { deliver, providerEvent } from "@/tests/support/webhooks";

/**
 * The provider's real webhooks, in chaos mode (each event one to three times, concurrently, shuffled),
 * against payments, API refunds, refunds made at the provider directly and disputes: afterwards both
 * ledgers agree, so every event was applied exactly once in whatever order it came.
 */
describe("provider webhooks in chaos, end to end", () => {
  const stack = useOwnStack({ webhooks: true, providerEnv: { PROVIDER_WEBHOOK_CHAOS: "1" } });

  it("payments, refunds from both sides and disputes: every event applied once, the ledgers agree", async () => {
    const stripe = stripeFor(stack.provider.url);
    const payments = await Promise.all(Array.from({ length: 12 }, (_, i) => stack.api.pay({ amount: 1000 + i, currency: "usd" }, { key: newKey() })));
    expect(payments.map((p) => p.status)).toEqual(Array(12).fill(201));
    const started = Date.now();
    await Promise.all(
      payments.map(async ({ body }, i) => {
        const refund = (amount: number) =>
          stack.api.request("/api/v1/refunds", {
            method: "POST",
            headers: { "content-type": "application/json", "idempotency-key": newKey() },
            body: JSON.stringify({ payment: body.id, amount }),
          });
        if (i % 3 === 0) await refund(300);
        // Refunded at the provider directly: Oncepay learns of it only from charge.refunded.
        if (i % 3 === 1) await stripe.refunds.create({ payment_intent: body.providerPaymentId, amount: 250 });
        if (i % 4 === 0)
          await fetch(`${stack.provider.url}/_simulator/disputes`, {
            method: "POST",
            body: new URLSearchParams({ payment_intent: body.providerPaymentId, amount: "100" }),
          });
      }),
    );
    await poll(() => allDelivered(stack.provider.url), { timeoutMs: 30_000, intervalMs: 250, message: "the provider never delivered every event" });
    const events = (await providerLedger(stack.provider.url)).events.length;
    console.log(`chaos: ${events} events delivered and applied in ${Date.now() - started} ms`);
    await expectReconciled(stack.provider.url, [{ url: stack.database.url }], 10_000);
    const provided = await fetch(`${stack.provider.url}/_simulator/deliveries`).then((r) => r.json() as Promise<{ data: unknown[] }>);
    expect(provided.data.length).toBeGreaterThan(events); // duplicates were delivered, and dropped
  });
  it("API refunds and refunds at the provider racing on one payment: never more than paid, here or there", async () => {
    const stripe = stripeFor(stack.provider.url, { maxNetworkRetries: 0 });
    const payment = (await stack.api.pay({ amount: 1000, currency: "usd" }, { key: newKey() })).body as { id: string; providerPaymentId: string };
    const viaApi = () =>
      stack.api.request("/api/v1/refunds", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": newKey() },
        body: JSON.stringify({ payment: payment.id, amount: 300 }),
      });
    const atProvider = () => stripe.refunds.create({ payment_intent: payment.providerPaymentId, amount: 300 }).catch(() => null);
    const answers = await Promise.all([viaApi(), atProvider(), viaApi(), atProvider(), viaApi(), atProvider(), viaApi(), atProvider()]);
    await poll(() => allDelivered(stack.provider.url), { timeoutMs: 30_000, intervalMs: 250, message: "the provider never delivered every event" });
    const refundedThere = (await providerLedger(stack.provider.url)).refunds
      .filter((r) => r.payment_intent === payment.providerPaymentId)
      .reduce((n, r) => n + r.amount, 0);
    const refundedHere = (await stack.api.request(`/api/v1/payments/${payment.id}`)).body.amountRefunded as number;
    console.log(
      `refund race: ${answers.filter((a) => a && "status" in a && a.status === 201).length} API refunds succeeded; ${refundedThere} refunded at the provider, ${refundedHere} here`,
    );
    expect(refundedThere).toBeLessThanOrEqual(1000);
    expect(refundedHere).toBe(refundedThere);
    await expectReconciled(stack.provider.url, [{ url: stack.database.url }], 10_000);
  });
});

/**
 * A shuffled stream of a few hundred made-up events with 30 % duplicates across many payments: the
 * balance equals a reference computed from the distinct events alone.
 */
describe("a shuffled stream of events with duplicates", () => {
  const stack = useOwnStack();

  it("balances equal the reference from the distinct events", async () => {
    const payments = (
      await Promise.all(Array.from({ length: 40 }, (_, i) => stack.api.pay({ amount: 2000 + i * 10, currency: "usd" }, { key: newKey() })))
    ).map((r) => r.body as { id: string; amount: number; providerPaymentId: string });
    const before = await stack.api.balance();
    // A seeded generator: the same stream on every run.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const distinct: ReturnType<typeof providerEvent>[] = [];
    let expectedDebit = 0;
    for (const payment of payments) {
      const totals = [0, 1, 2].map(() => Math.floor(random() * payment.amount * 1.2)).sort((a, b) => a - b);
      for (const total of totals) {
        distinct.push(providerEvent("charge.refunded", { object: "charge", payment_intent: payment.providerPaymentId, amount_refunded: total }));
      }
      // A total beyond the amount paid is refused, not applied: the largest within it wins.
      const refunded = Math.max(0, ...totals.filter((t) => t <= payment.amount));
      const disputed = random() < 0.3 ? Math.min(100, payment.amount) : 0;
      if (disputed)
        distinct.push(providerEvent("charge.dispute.created", { id: `dp_${newKey()}`, payment_intent: payment.providerPaymentId, amount: disputed }));
      distinct.push(providerEvent("payment_intent.succeeded", { id: payment.providerPaymentId, metadata: { oncepay_payment: payment.id } }));
      expectedDebit += refunded + disputed;
    }
    const stream = [...distinct, ...distinct.filter(() => random() < 0.3)];
    for (let i = stream.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [stream[i], stream[j]] = [stream[j]!, stream[i]!];
    }
    const started = Date.now();
    let replayed = 0;
    // Eight deliveries at a time, as a provider's pool would.
    for (let i = 0; i < stream.length; i += 8) {
      const answers = await Promise.all(stream.slice(i, i + 8).map((event) => deliver(stack.server.url, event)));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      replayed += answers.filter((a) => a.headers.get("idempotent-replayed") === "true").length;
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `shuffled stream: ${stream.length} events (${distinct.length} distinct), ${replayed} duplicates dropped, ${Math.round(stream.length / seconds)} events/s`,
    );
    expect(replayed).toBe(stream.length - distinct.length);
    expect(await stack.api.balance()).toBe(before - expectedDebit);
  });
});

/**
 * The provider's `payment_intent.succeeded` racing our own request: delivered as soon as the charge
 * commits, it meets our request between its recovery points (`provider-latency` holds the provider's
 * answer after the charge, so the window is wide). Either may settle the payment first; every time there is one payment, one
 * ledger entry and the client's 201.
 */
describe("payment_intent.succeeded racing our own commit", () => {
  const stack = useOwnStack({ webhooks: true });

  it("20 payments: whoever wins, one payment and one ledger entry each, and every client gets its 201", async () => {
    const before = await stack.api.balance();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        stack.api.pay({ amount: 500 + i, currency: "usd" }, { key: newKey(), headers: { "simulate-failure": "provider-latency=200" } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(answers.every((a) => a.body.status === "succeeded")).toBe(true);
    await poll(() => allDelivered(stack.provider.url), { timeoutMs: 30_000, intervalMs: 250, message: "the provider never delivered every event" });
    const paid = answers.reduce((sum, a) => sum + (a.body.amount as number), 0);
    expect(await stack.api.balance()).toBe(before + paid);
    const panel = await trpcClient(stack.server.url).dashboard.provider.query({ window: "1h" });
    const webhookFirst = panel.applied;
    const oursFirst = panel.notApplied.find((n) => n.note === "already_succeeded")?.count ?? 0;
    console.log(`race: the webhook settled ${webhookFirst} of 20 payments first, our own commit ${oursFirst}`);
    expect(webhookFirst + oursFirst).toBe(20);
    // The window is 200 ms wide: the webhook, sent the moment the charge commits, wins it.
    expect(webhookFirst).toBeGreaterThan(0);
    await expectReconciled(stack.provider.url, [{ url: stack.database.url }], 10_000);
  });
});
