import Stripe from "stripe";
import { afterEach, describe, expect, it } from "vitest";
import { newKey, poll, sleep } from "@/fixtures";
import { providerLedger, startSimulatorProcess, stripeFor, type SimulatorProcess } from "@/fixtures/simulator-process";
import { startWebhookSink, type Received, type WebhookSink } from "@/tests/support/webhook-sink";
import { chargeParams, marker, raw } from "./http";

const SECRET = "whsec_test_webhooks";

// Each test brings its own sink and simulator: deliveries and their timing must not leak between tests.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sinkAndProvider(env: Record<string, string> = {}): Promise<{ sink: WebhookSink; provider: SimulatorProcess; stripe: Stripe }> {
  const sink = await startWebhookSink();
  cleanups.push(() => sink.close());
  const provider = await startSimulatorProcess({ env: { PROVIDER_WEBHOOK_URL: sink.url, PROVIDER_WEBHOOK_SECRET: SECRET, ...env } });
  cleanups.push(() => provider.kill());
  return { sink, provider, stripe: stripeFor(provider.url) };
}

const about = (paymentIntent: string, type: string) => (r: Received) =>
  r.event.type === type && (r.event.data.object.id === paymentIntent || r.event.data.object.payment_intent === paymentIntent);

const verify = (r: Received, secret = SECRET) => new Stripe("sk_test_unused").webhooks.constructEvent(r.rawBody, r.signature, secret);

describe("webhook delivery", () => {
  it("delivers a charge as a signed payment_intent.succeeded that the SDK verifies, and only with the right secret", async () => {
    const { sink, stripe } = await sinkAndProvider();
    const key = newKey();
    const pi = await stripe.paymentIntents.create(chargeParams(), { idempotencyKey: key });
    const delivery = await sink.waitFor(about(pi.id, "payment_intent.succeeded"));

    const event = verify(delivery);
    expect(event).toMatchObject({
      object: "event",
      type: "payment_intent.succeeded",
      api_version: Stripe.API_VERSION,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: key },
      data: { object: { id: pi.id, object: "payment_intent", status: "succeeded", amount_received: pi.amount } },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(delivery.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(delivery.headers["content-type"]).toContain("application/json");
    expect(() => verify(delivery, "whsec_someone_else")).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => new Stripe("sk_test_unused").webhooks.constructEvent(delivery.rawBody.replace("succeeded", "canceled"), delivery.signature, SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it("delivers a decline as payment_intent.payment_failed, with no idempotency key when the request had none", async () => {
    const { sink, provider } = await sinkAndProvider();
    const declined = await raw(provider.url, "POST", "/v1/payment_intents", chargeParams(marker(), "pm_card_chargeDeclined"));
    expect(declined.status).toBe(402);
    const pi = declined.body.error.payment_intent as { id: string };

    const delivery = await sink.waitFor(about(pi.id, "payment_intent.payment_failed"));
    expect(verify(delivery).data.object).toMatchObject({ id: pi.id, status: "requires_payment_method", last_payment_error: { code: "card_declined" } });
    expect(delivery.event.request).toEqual({ id: null, idempotency_key: null });
  });

  it("delivers each refund as charge.refunded carrying the charge with the running amount_refunded", async () => {
    const { sink, stripe } = await sinkAndProvider();
    const metadata = marker();
    const pi = await stripe.paymentIntents.create(chargeParams(metadata, "pm_card_visa", 1200));
    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 300 });
    await stripe.refunds.create({ payment_intent: pi.id });

    const refunds = await poll(
      () => {
        const got = sink.received.filter(about(pi.id, "charge.refunded"));
        return got.length >= 2 && got;
      },
      { timeoutMs: 15_000, message: "two charge.refunded deliveries" },
    );
    const charges = refunds
      .map((r) => verify(r).data.object as unknown as Record<string, unknown>)
      .sort((a, b) => Number(a.amount_refunded) - Number(b.amount_refunded));
    const shape = { id: pi.latest_charge, object: "charge", payment_intent: pi.id, amount: 1200, currency: "usd", metadata };
    expect(charges[0]).toMatchObject({ ...shape, amount_refunded: 300, refunded: false, refund: partial.id });
    expect(charges[1]).toMatchObject({ ...shape, amount_refunded: 1200, refunded: true });
    expect(String(charges[0]?.id)).toMatch(/^ch_/);
  });

  it("opens a dispute through the simulator and delivers charge.dispute.created", async () => {
    const { sink, provider, stripe } = await sinkAndProvider();
    const pi = await stripe.paymentIntents.create(chargeParams(marker(), "pm_card_visa", 2000));
    await stripe.refunds.create({ payment_intent: pi.id, amount: 500 });

    const res = await fetch(`${provider.url}/_simulator/disputes`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ payment_intent: pi.id }),
    });
    expect(res.status).toBe(200);
    const dispute = (await res.json()) as Record<string, unknown>;
    expect(dispute).toMatchObject({
      object: "dispute",
      payment_intent: pi.id,
      charge: pi.latest_charge,
      amount: 1500,
      currency: "usd",
      status: "needs_response",
    });
    expect(String(dispute.id)).toMatch(/^dp_/);

    const delivery = await sink.waitFor(about(pi.id, "charge.dispute.created"));
    expect(verify(delivery).data.object).toEqual(dispute);
    expect((await providerLedger(provider.url)).disputes).toEqual([dispute]);

    // One dispute per charge, as Stripe has it; and only on a charge that succeeded.
    const again = await raw(provider.url, "POST", "/_simulator/disputes", { payment_intent: pi.id });
    expect(again.status).toBe(400);
    const declined = await stripe.paymentIntents.create(chargeParams(marker(), "pm_card_chargeDeclined")).catch((e: Stripe.errors.StripeCardError) => e);
    const onDecline = await raw(provider.url, "POST", "/_simulator/disputes", {
      payment_intent: (declined as Stripe.errors.StripeCardError).payment_intent?.id,
    });
    expect(onDecline.status).toBe(400);
  });

  it("retries a failing receiver with growing gaps until it answers 2xx", async () => {
    const { sink, provider, stripe } = await sinkAndProvider();
    sink.failNext(2, 500);
    const pi = await stripe.paymentIntents.create(chargeParams());
    const match = about(pi.id, "payment_intent.succeeded");
    const tries = await poll(
      () => {
        const got = sink.received.filter(match);
        return got.length >= 3 && got;
      },
      { timeoutMs: 15_000, message: "three deliveries of one event" },
    );
    expect(tries.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((r) => r.rawBody)).size).toBe(1); // a retry is the same event, byte for byte
    const [first, second, third] = tries.map((r) => r.at) as [number, number, number];
    const gaps = [second - first, third - second];
    // 0.5 s then 1 s by default. The next attempt is scheduled before the POST goes out, so a slow
    // first transit (a busy machine) shortens the gap the sink sees by as much.
    expect(gaps[0]).toBeGreaterThanOrEqual(300);
    expect(gaps[1]).toBeGreaterThan(gaps[0] ?? 0);
    expect(gaps[1]).toBeLessThan(3_000);

    const eventId = tries[0]?.event.id ?? "";
    // The log is written once the answer is in, a moment after the sink has it.
    const log = await poll(
      async () => {
        const { data } = (await raw(provider.url, "GET", `/_simulator/deliveries?event=${eventId}`)).body as { data: { attempt: number; status: number }[] };
        return data.length >= 3 && data;
      },
      { timeoutMs: 5_000, message: "three logged attempts" },
    );
    expect(log.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
  });

  it("gives up after PROVIDER_WEBHOOK_MAX_ATTEMPTS, and a timeout counts as a failed attempt", async () => {
    const { sink, provider, stripe } = await sinkAndProvider({
      PROVIDER_WEBHOOK_MAX_ATTEMPTS: "2",
      PROVIDER_WEBHOOK_TIMEOUT_MS: "300",
      PROVIDER_WEBHOOK_BACKOFF_MS: "100",
    });
    sink.hang();
    const pi = await stripe.paymentIntents.create(chargeParams());
    const eventId = (await sink.waitFor(about(pi.id, "payment_intent.succeeded"))).event.id;
    const log = await poll(
      async () => {
        const { data } = (await raw(provider.url, "GET", `/_simulator/deliveries?event=${eventId}`)).body as { data: { attempt: number; error: string }[] };
        return data.length >= 2 && data;
      },
      { timeoutMs: 10_000, message: "two timed-out attempts" },
    );
    expect(log.map((a) => a.attempt)).toEqual([1, 2]);
    expect(log[0]?.error).toMatch(/timeout/);
    sink.answer();
    await sleep(1_000); // given up: no third attempt however long one waits
    expect(sink.deliveriesOf(eventId)).toHaveLength(2);

    // A manual resend still goes out, and is logged as such.
    const resent = await raw(provider.url, "POST", `/_simulator/events/${eventId}/resend`);
    expect(resent.body).toMatchObject({ event: eventId, status: 200 });
    expect(sink.deliveriesOf(eventId)).toHaveLength(3);
    const after = (await raw(provider.url, "GET", `/_simulator/deliveries?event=${eventId}`)).body as { data: { manual: boolean; status: number }[] };
    expect(after.data.at(-1)).toMatchObject({ manual: true, status: 200 });
    expect((await raw(provider.url, "POST", "/_simulator/events/evt_nope/resend")).status).toBe(404);
  });

  it("does not lose an event to a kill -9: the restarted simulator delivers it", async () => {
    const sink = await startWebhookSink();
    cleanups.push(() => sink.close());
    const env = { PROVIDER_WEBHOOK_URL: sink.url, PROVIDER_WEBHOOK_SECRET: SECRET };
    sink.failNext(1_000, 503);
    const first = await startSimulatorProcess({ env });
    cleanups.push(() => first.kill());
    const pi = await stripeFor(first.url).paymentIntents.create(chargeParams());
    const match = about(pi.id, "payment_intent.succeeded");
    await sink.waitFor(match);
    await first.kill();

    sink.failNext(0);
    sink.answer();
    const second = await startSimulatorProcess({ dataDir: first.dataDir, env });
    cleanups.push(() => second.kill());
    await poll(() => sink.received.some((r) => match(r) && r.answered === 200), { timeoutMs: 20_000, message: "delivery after restart" });
    const attempts = (await raw(second.url, "GET", "/_simulator/deliveries")).body as { data: { attempt: number; status: number }[] };
    // The count carries on across the crash rather than starting again.
    expect(attempts.data.at(-1)?.attempt).toBeGreaterThan(1);
  });

  it("in chaos mode delivers duplicates, still every event at least once, and can be switched at run time", async () => {
    const { sink, provider, stripe } = await sinkAndProvider({ PROVIDER_WEBHOOK_CHAOS: "1" });
    expect((await raw(provider.url, "GET", "/_simulator/webhooks/chaos")).body).toEqual({ enabled: true });
    await Promise.all(Array.from({ length: 20 }, () => stripe.paymentIntents.create(chargeParams())));
    const events = (await providerLedger(provider.url)).events;
    expect(events).toHaveLength(20);
    await poll(() => events.every((e) => sink.deliveriesOf(e.id).some((r) => r.answered === 200)), {
      timeoutMs: 30_000,
      message: () => `not every event arrived: ${events.filter((e) => sink.deliveriesOf(e.id).length === 0).length} missing`,
    });
    const counts = events.map((e) => sink.deliveriesOf(e.id).length);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    for (const r of sink.received) verify(r);
    // Held back at random, first arrivals come out of outbox order.
    const firstArrivals = [...new Set(sink.received.map((r) => r.event.id))];
    expect(firstArrivals).not.toEqual(events.map((e) => e.id));

    const off = await raw(provider.url, "POST", "/_simulator/webhooks/chaos", { enabled: "false" });
    expect(off.body).toEqual({ enabled: false });
    const json = await fetch(`${provider.url}/_simulator/webhooks/chaos`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"enabled":true}',
    });
    expect(await json.json()).toEqual({ enabled: true });
  });

  it("with no PROVIDER_WEBHOOK_URL, delivers to the app's receiver on PORT (as `PORT=4000 npm run dev` starts it)", async () => {
    const sink = await startWebhookSink("/api/v1/webhooks/provider");
    cleanups.push(() => sink.close());
    const provider = await startSimulatorProcess({ env: { PROVIDER_WEBHOOKS: "1", PORT: new URL(sink.url).port, PROVIDER_WEBHOOK_SECRET: SECRET } });
    cleanups.push(() => provider.kill());
    const pi = await stripeFor(provider.url).paymentIntents.create(chargeParams());
    expect(verify(await sink.waitFor(about(pi.id, "payment_intent.succeeded")))).toMatchObject({ type: "payment_intent.succeeded" });
  });

  it("delivers nothing with PROVIDER_WEBHOOKS=0", async () => {
    const { sink, provider, stripe } = await sinkAndProvider({ PROVIDER_WEBHOOKS: "0" });
    await stripe.paymentIntents.create(chargeParams());
    expect((await providerLedger(provider.url)).events).toHaveLength(1);
    await sleep(1_500); // an absence can only be waited for: several polls' worth
    expect(sink.received).toHaveLength(0);
    expect((await raw(provider.url, "GET", "/_simulator/webhooks/chaos")).body).toMatchObject({ error: { code: "webhooks_disabled" } });
  });
});
