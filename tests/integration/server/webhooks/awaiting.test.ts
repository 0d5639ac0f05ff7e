import { describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { intentsFor } from "@/tests/support/provider-ledger";
import { STACK_KINDS, useOwnStack } from "@/tests/support/own-stack";
import { providerLedger, stripeFor } from "@/fixtures/simulator-process";
import { expectReconciled } from "@/tests/support/reconcile";
import { trpcClient } from "@/tests/support/trpc";
import { deliver } from "@/tests/support/webhooks";

/**
 * Events that overtake our own commit: the provider's refund and dispute events for a PaymentIntent
 * whose id Oncepay has not recorded yet (the charge's answer was lost; the retry has not come). Before
 * the fix they were recorded as about an unknown PaymentIntent and lost for good. The simulator's
 * own events are taken from its outbox and delivered here, in the order the race would bring them.
 */
describe.each(STACK_KINDS)("refunds and disputes that arrive before the payment settles (%s)", (kind) => {
  // No delivery by the simulator: this test chooses when each event arrives.
  const stack = useOwnStack({ kind });

  /** A payment charged at the provider whose answer was lost: processing here, with no PaymentIntent id yet. */
  async function unsettled(amount: number) {
    const key = newKey();
    const body = { amount, currency: "usd" };
    const lost = await stack.api.pay(body, { key, headers: { "simulate-failure": "provider-timeout-after-charge" } });
    expect(lost.body.code).toBe("provider_unavailable");
    const [payment] = await stack.api.paymentsWithKey(key);
    expect(payment).toMatchObject({ status: "processing", providerPaymentId: null });
    const [intent] = await intentsFor(stack.provider.url, payment!.id);
    return { key, body, payment: payment!, intent: intent! };
  }

  /** The provider's events about `intent` of `types`, from its outbox, oldest first. */
  async function eventsAbout(intent: string, types: string[]) {
    return (await providerLedger(stack.provider.url)).events.filter((e) => {
      const object = e.data.object as { payment_intent?: string; id?: string };
      return types.includes(e.type) && (object.payment_intent === intent || object.id === intent);
    });
  }

  it("are kept, and applied in the commit that settles the payment (our own retry)", async () => {
    const { key, body, payment, intent } = await unsettled(2000);
    await stripeFor(stack.provider.url).refunds.create({ payment_intent: intent.id, amount: 500 });
    await fetch(`${stack.provider.url}/_simulator/disputes`, { method: "POST", body: new URLSearchParams({ payment_intent: intent.id, amount: "300" }) });
    const before = await stack.api.balance();
    const early = await eventsAbout(intent.id, ["charge.refunded", "charge.dispute.created"]);
    expect(early).toHaveLength(2);
    for (const event of early) expect((await deliver(stack.server.url, event)).status).toBe(200);
    // Recorded, waiting for the payment; nothing moved yet.
    expect(await stack.api.balance()).toBe(before);
    const panel = await trpcClient(stack.server.url).dashboard.provider.query({ window: "1h" });
    expect(panel.notApplied.find((n) => n.note === "awaiting_payment")?.count).toBeGreaterThanOrEqual(2);
    // Our own retry settles the payment, and what waited is applied with it.
    const retry = await stack.api.pay(body, { key });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ id: payment.id, status: "succeeded", providerPaymentId: intent.id, amountRefunded: 500 });
    expect(await stack.api.balance()).toBe(before + 2000 - 500 - 300);
    // Delivered again: replays, nothing more.
    for (const event of early) expect((await deliver(stack.server.url, event)).headers.get("idempotent-replayed")).toBe("true");
    expect(await stack.api.balance()).toBe(before + 2000 - 500 - 300);
  });

  it("are kept, and applied when the provider's own payment_intent.succeeded settles the payment", async () => {
    const { payment, intent } = await unsettled(1500);
    await stripeFor(stack.provider.url).refunds.create({ payment_intent: intent.id, amount: 1500 });
    const before = await stack.api.balance();
    for (const event of await eventsAbout(intent.id, ["charge.refunded"])) expect((await deliver(stack.server.url, event)).status).toBe(200);
    for (const event of await eventsAbout(intent.id, ["payment_intent.succeeded"])) expect((await deliver(stack.server.url, event)).status).toBe(200);
    expect((await stack.api.request(`/api/v1/payments/${payment.id}`)).body).toMatchObject({ status: "succeeded", amountRefunded: 1500 });
    expect(await stack.api.balance()).toBe(before + 1500 - 1500);
  });

  it("what an event claims is checked against the payment: recorded with the reason, not applied", async () => {
    const { payment, intent } = await unsettled(1200);
    const succeeded = (await eventsAbout(intent.id, ["payment_intent.succeeded"]))[0]!;
    const forged = (over: Record<string, unknown>) => ({
      ...succeeded,
      id: `evt_${newKey()}`,
      data: { object: { ...(succeeded.data.object as object), ...over } },
    });
    for (const over of [{ amount: 1201 }, { currency: "eur" }]) expect((await deliver(stack.server.url, forged(over))).status).toBe(200);
    expect((await stack.api.request(`/api/v1/payments/${payment.id}`)).body.status).toBe("processing");
    // The genuine one settles it; a dispute beyond the amount paid is then refused.
    expect((await deliver(stack.server.url, succeeded)).status).toBe(200);
    const before = await stack.api.balance();
    const dispute = {
      id: `evt_${newKey()}`,
      object: "event",
      type: "charge.dispute.created",
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `dp_${newKey()}`, payment_intent: intent.id, amount: 1201 } },
    };
    expect((await deliver(stack.server.url, dispute)).status).toBe(200);
    expect(await stack.api.balance()).toBe(before);
    const notes = (await trpcClient(stack.server.url).dashboard.provider.query({ window: "1h" })).notApplied.map((n) => n.note);
    expect(notes).toEqual(expect.arrayContaining(["amount_mismatch", "currency_mismatch", "dispute_exceeds_payment"]));
  });

  it("after the suite, the provider's ledger and this one agree, per payment", async () => {
    if (kind === "embedded") await stack.server.stop();
    await expectReconciled(stack.provider.url, [stack.local], 20_000);
  });
});
