import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { providerLedger, startSimulatorProcess, stripeFor, type SimulatorProcess } from "@/fixtures/simulator-process";
import { chargeParams, marker, raw } from "./http";

let provider: SimulatorProcess;
let stripe: Stripe;

beforeAll(async () => {
  provider = await startSimulatorProcess();
  stripe = stripeFor(provider.url);
});
afterAll(async () => provider?.stop());

const charge = (amount = 1000) => stripe.paymentIntents.create(chargeParams(marker(), "pm_card_visa", amount));

function refundError(error: unknown): Stripe.errors.StripeError {
  expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  return error as Stripe.errors.StripeError;
}

describe("refunds", () => {
  it("refunds part, then by default what remains, then refuses more", async () => {
    const pi = await charge(1000);
    const partial = await stripe.refunds.create({ payment_intent: pi.id, amount: 300, metadata: { reason_code: "r1" } }, { idempotencyKey: newKey() });
    expect(partial).toMatchObject({
      object: "refund",
      amount: 300,
      payment_intent: pi.id,
      charge: pi.latest_charge,
      currency: "usd",
      status: "succeeded",
      metadata: { reason_code: "r1" },
    });
    expect(partial.id).toMatch(/^re_/);

    const tooLarge = refundError(await stripe.refunds.create({ payment_intent: pi.id, amount: 701 }).catch((e: unknown) => e));
    expect(tooLarge.code).toBe("amount_too_large");
    expect(tooLarge.statusCode).toBe(400);

    const rest = await stripe.refunds.create({ payment_intent: pi.id });
    expect(rest.amount).toBe(700);
    expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ amount_refunded: 1000 });

    const already = refundError(await stripe.refunds.create({ payment_intent: pi.id, amount: 1 }).catch((e: unknown) => e));
    expect(already.code).toBe("charge_already_refunded");

    const list = await stripe.refunds.list({ payment_intent: pi.id });
    expect(list.data.map((r) => r.id)).toEqual([rest.id, partial.id]);
    const paged = await raw(provider.url, "GET", "/v1/refunds", { payment_intent: pi.id, limit: 1 });
    expect(paged.body).toMatchObject({ object: "list", has_more: true, url: "/v1/refunds", data: [{ id: rest.id }] });

    // Each refund wrote a charge.refunded event with the running total, in the same transaction.
    const events = (await providerLedger(provider.url)).events.filter(
      (e) => e.type === "charge.refunded" && (e.data.object as { payment_intent: string }).payment_intent === pi.id,
    );
    expect(events.map((e) => e.data.object)).toEqual([
      expect.objectContaining({ object: "charge", id: pi.latest_charge, amount_refunded: 300, refunded: false, refund: partial.id }),
      expect.objectContaining({ object: "charge", id: pi.latest_charge, amount_refunded: 1000, refunded: true, refund: rest.id }),
    ]);
  });

  it("refuses unknown, unsucceeded and malformed refunds", async () => {
    const missing = refundError(await stripe.refunds.create({ payment_intent: "pi_nope" }).catch((e: unknown) => e));
    expect([missing.statusCode, missing.code]).toEqual([404, "resource_missing"]);

    const declined = await raw(provider.url, "POST", "/v1/payment_intents", chargeParams(marker(), "pm_card_chargeDeclined"));
    const notRefundable = refundError(await stripe.refunds.create({ payment_intent: declined.body.error.payment_intent.id }).catch((e: unknown) => e));
    expect(notRefundable.code).toBe("charge_not_refundable");

    const pi = await charge();
    for (const amount of [0, -5, "abc"]) expect((await raw(provider.url, "POST", "/v1/refunds", { payment_intent: pi.id, amount })).status).toBe(400);
    expect((await raw(provider.url, "POST", "/v1/refunds", {})).body.error.param).toBe("payment_intent");
  });

  it("replays a refund for the same key instead of refunding twice", async () => {
    const pi = await charge(1000);
    const key = newKey();
    const first = await stripe.refunds.create({ payment_intent: pi.id, amount: 400 }, { idempotencyKey: key });
    const again = await stripe.refunds.create({ payment_intent: pi.id, amount: 400 }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    expect((await raw(provider.url, "GET", `/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(400);
  });

  it("never refunds more than was received under concurrent refunds", async () => {
    const pi = await charge(1000);
    const attempts = await Promise.all(
      Array.from({ length: 12 }, () => raw(provider.url, "POST", "/v1/refunds", { payment_intent: pi.id, amount: 300 }, { idempotencyKey: newKey() })),
    );
    const succeeded = attempts.filter((a) => a.status === 200);
    expect(succeeded).toHaveLength(3);
    expect(attempts.filter((a) => a.status === 400).map((a) => a.body.error.code)).toEqual(Array(9).fill("amount_too_large"));

    const remaining = await Promise.all(Array.from({ length: 5 }, () => raw(provider.url, "POST", "/v1/refunds", { payment_intent: pi.id })));
    expect(remaining.filter((a) => a.status === 200).map((a) => a.body.amount)).toEqual([100]);

    const ledger = await providerLedger(provider.url);
    const refunds = ledger.refunds.filter((r) => r.payment_intent === pi.id);
    expect(refunds.reduce((sum, r) => sum + r.amount, 0)).toBe(1000);
    expect(ledger.payment_intents.find((p) => p.id === pi.id)?.amount_refunded).toBe(1000);
  });
});
