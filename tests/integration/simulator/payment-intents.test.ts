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

describe("PaymentIntents through the official SDK", () => {
  it("charges a card that succeeds and records the event", async () => {
    const metadata = marker();
    const pi = await stripe.paymentIntents.create(chargeParams(metadata), { idempotencyKey: newKey() });
    expect(pi).toMatchObject({
      object: "payment_intent",
      status: "succeeded",
      amount: 1200,
      amount_received: 1200,
      currency: "usd",
      metadata,
      livemode: false,
    });
    expect(pi.id).toMatch(/^pi_[0-9A-Za-z]{24}$/);
    expect(pi.latest_charge).toMatch(/^ch_/);
    expect(pi.lastResponse.requestId).toMatch(/^req_/);
    expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ id: pi.id, status: "succeeded" });
    const ledger = await providerLedger(provider.url);
    expect(ledger.events.filter((e) => (e.data.object as { id: string }).id === pi.id).map((e) => e.type)).toEqual(["payment_intent.succeeded"]);
  });

  it("answers a declined card with StripeCardError, and still records the PaymentIntent", async () => {
    const metadata = marker();
    const error = await stripe.paymentIntents.create(chargeParams(metadata, "pm_card_chargeDeclined"), { idempotencyKey: newKey() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    const cardError = error as Stripe.errors.StripeCardError;
    expect(cardError.statusCode).toBe(402);
    expect(cardError.code).toBe("card_declined");
    expect(cardError.decline_code).toBe("generic_decline");
    expect(cardError.payment_intent).toMatchObject({ status: "requires_payment_method", last_payment_error: { code: "card_declined" } });
    const ledger = await providerLedger(provider.url);
    const recorded = ledger.payment_intents.filter((p) => p.metadata.oncepay_payment === metadata.oncepay_payment);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ id: cardError.payment_intent?.id, status: "requires_payment_method", amount_received: 0, latest_charge: null });
    expect(ledger.events.filter((e) => (e.data.object as { id: string }).id === recorded[0]?.id).map((e) => e.type)).toEqual(["payment_intent.payment_failed"]);
  });

  it("leaves an unconfirmed PaymentIntent waiting for confirmation", async () => {
    const pi = await stripe.paymentIntents.create({ amount: 500, currency: "eur", payment_method: "pm_card_visa" });
    expect(pi).toMatchObject({ status: "requires_confirmation", amount_received: 0, latest_charge: null });
  });

  it("refuses requests without a secret key (401)", async () => {
    const none = await raw(provider.url, "POST", "/v1/payment_intents", chargeParams(), { apiKey: null });
    expect(none.status).toBe(401);
    expect(none.body.error.type).toBe("authentication_error");
    expect((await raw(provider.url, "GET", "/v1/payment_intents", {}, { apiKey: "pk_test_public" })).status).toBe(401);
    const error = await stripeFor(provider.url, { apiKey: "rk_test_restricted" })
      .paymentIntents.list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it("answers bad params with 400 and param, and does not save them under the key", async () => {
    const key = newKey();
    const metadata = marker();
    const bad = await raw(provider.url, "POST", "/v1/payment_intents", { ...chargeParams(metadata), amount: 0 }, { idempotencyKey: key });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: "invalid_request_error", param: "amount" });
    const cases: [object, string][] = [
      [{ ...chargeParams(), currency: "USD" }, "currency"],
      [{ ...chargeParams(), amount: "12.5" }, "amount"],
      [{ currency: "usd" }, "amount"],
      [{ ...chargeParams(), surprise: "x" }, "surprise"],
      [{ ...chargeParams(), confirm: "yes" }, "confirm"],
      [{ ...chargeParams(), metadata: { [""]: "x" } }, "metadata"],
    ];
    for (const [params, param] of cases) {
      const answer = await raw(provider.url, "POST", "/v1/payment_intents", params);
      expect(answer.status, JSON.stringify(params)).toBe(400);
      expect(answer.body.error.param, JSON.stringify(params)).toMatch(new RegExp(`^${param}`));
    }
    const error = await stripe.paymentIntents.create({ ...chargeParams(), currency: "dollars" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

    // The same key with the params fixed executes: the 400 never claimed it.
    const fixed = await stripe.paymentIntents.create(chargeParams(metadata), { idempotencyKey: key });
    expect(fixed.status).toBe("succeeded");
  });

  it("answers 404 resource_missing for an unknown PaymentIntent", async () => {
    const error = await stripe.paymentIntents.retrieve("pi_doesnotexist").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((error as Stripe.errors.StripeError).statusCode).toBe(404);
    expect((error as Stripe.errors.StripeError).code).toBe("resource_missing");
  });

  it("lists newest first, pages with limit and starting_after", async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await stripe.paymentIntents.create(chargeParams(marker(), "pm_card_visa", 100 + i))).id);
    const newest = [...created].reverse();

    const first = await raw(provider.url, "GET", "/v1/payment_intents", { limit: 2 });
    expect(first.body).toMatchObject({ object: "list", has_more: true, url: "/v1/payment_intents" });
    expect(first.body.data.map((p: { id: string }) => p.id)).toEqual(newest.slice(0, 2));
    const second = await stripe.paymentIntents.list({ limit: 3, starting_after: newest[1] });
    expect(second.data.map((p) => p.id)).toEqual(newest.slice(2, 5));

    // Paging to the end reads the whole ledger, as the ledger endpoint does (newest first there means reversed).
    const all: string[] = [];
    for await (const pi of stripe.paymentIntents.list({ limit: 3 })) all.push(pi.id);
    const ledger = await providerLedger(provider.url);
    expect(all).toEqual(ledger.payment_intents.map((p) => p.id).reverse());
    const last = await raw(provider.url, "GET", "/v1/payment_intents", { limit: 100, starting_after: all[all.length - 2] });
    expect(last.body).toMatchObject({ has_more: false, data: [{ id: all[all.length - 1] }] });

    expect((await raw(provider.url, "GET", "/v1/payment_intents")).body.data.length).toBe(Math.min(10, all.length));
    for (const limit of [0, 101, "x"]) expect((await raw(provider.url, "GET", "/v1/payment_intents", { limit })).status).toBe(400);
    expect((await raw(provider.url, "GET", "/v1/payment_intents", { starting_after: "pi_nope" })).body.error.param).toBe("starting_after");
  });

  it("answers /health without a key", async () => {
    const health = await raw(provider.url, "GET", "/health", {}, { apiKey: null });
    expect(health).toMatchObject({ status: 200, body: { ok: true } });
  });
});
