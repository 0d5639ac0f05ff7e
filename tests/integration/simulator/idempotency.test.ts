import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newKey, sleep } from "@/fixtures";
import { providerLedger, startSimulatorProcess, stripeFor, type SimulatorProcess } from "@/fixtures/simulator-process";
import { chargeParams, marker, raw } from "./http";

let provider: SimulatorProcess;
let stripe: Stripe;

beforeAll(async () => {
  provider = await startSimulatorProcess();
  stripe = stripeFor(provider.url);
});
afterAll(async () => provider?.stop());

async function intentsFor(metadata: { oncepay_payment: string }) {
  return (await providerLedger(provider.url)).payment_intents.filter((p) => p.metadata.oncepay_payment === metadata.oncepay_payment);
}

describe("Stripe's idempotency semantics", () => {
  it("replays the first answer for the same key and params: same bytes, Idempotent-Replayed, Original-Request", async () => {
    const key = newKey();
    const params = chargeParams();
    const first = await raw(provider.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key });
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstRequest = first.headers.get("request-id");
    expect(firstRequest).toMatch(/^req_/);

    // The params in another order are the same request.
    const { metadata, ...rest } = params;
    const again = await raw(provider.url, "POST", "/v1/payment_intents", { metadata, ...rest }, { idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("original-request")).toBe(firstRequest);
    expect(again.headers.get("request-id")).not.toBe(firstRequest);

    const viaSdk = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(viaSdk.id).toBe(first.body.id);
    expect(viaSdk.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("replays a saved decline too (402 is an executed answer)", async () => {
    const key = newKey();
    const params = chargeParams(marker(), "pm_card_chargeDeclined");
    const first = await raw(provider.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key });
    const again = await raw(provider.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key });
    expect([first.status, again.status]).toEqual([402, 402]);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("refuses the same key with other params (StripeIdempotencyError)", async () => {
    const key = newKey();
    const params = chargeParams();
    await stripe.paymentIntents.create(params, { idempotencyKey: key });
    const error = await stripe.paymentIntents.create({ ...params, amount: 1300 }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((error as Stripe.errors.StripeError).statusCode).toBe(400);
    expect((error as Stripe.errors.StripeError).message).toMatch(/same parameters/);
    // A different endpoint is a different request too.
    const refund = await raw(provider.url, "POST", "/v1/refunds", { payment_intent: "pi_x" }, { idempotencyKey: key });
    expect(refund.status).toBe(400);
    expect(refund.body.error.type).toBe("idempotency_error");
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("scopes keys per API key", async () => {
    const key = newKey();
    const params = chargeParams();
    const a = await stripeFor(provider.url, { apiKey: "sk_test_a" }).paymentIntents.create(params, { idempotencyKey: key });
    const b = await stripeFor(provider.url, { apiKey: "sk_test_b" }).paymentIntents.create(params, { idempotencyKey: key });
    expect(a.id).not.toBe(b.id);
  });

  it("answers a concurrent duplicate with 409 idempotency_key_in_use while the first executes", async () => {
    const key = newKey();
    const params = chargeParams();
    const first = stripeFor(provider.url, { maxNetworkRetries: 0 }).paymentIntents.create(params, {
      idempotencyKey: key,
      headers: { "Simulate-Failure": "latency=1000" },
    });
    await sleep(300); // well inside the first's 1 s of latency; its claim takes milliseconds
    const duplicate = await raw(provider.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key, fault: "latency=1000" });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toMatchObject({ type: "idempotency_error", code: "idempotency_key_in_use" });
    const pi = await first;
    expect(pi.status).toBe("succeeded");
    const after = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(after.id).toBe(pi.id);
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("SDK retries on 409 land on the replay once the first finishes", async () => {
    const key = newKey();
    const params = chargeParams();
    const slow = raw(provider.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key, fault: "latency=700" });
    await sleep(200);
    const retried = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(retried.id).toBe((await slow).body.id);
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("timeout-after-charge: the SDK sees a connection error, yet exactly one charge exists and a plain retry returns it", async () => {
    const key = newKey();
    const params = chargeParams();
    const error = await stripe.paymentIntents
      .create(params, { idempotencyKey: key, headers: { "Simulate-Failure": "timeout-after-charge" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const charged = await intentsFor(params.metadata);
    expect(charged).toHaveLength(1);
    expect(charged[0]?.status).toBe("succeeded");

    const retry = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(retry.id).toBe(charged[0]?.id);
    expect(retry.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("timeout-after-charge without a key still charges (once per request) and drops the answer", async () => {
    const params = chargeParams();
    await expect(raw(provider.url, "POST", "/v1/payment_intents", params, { fault: "timeout-after-charge" })).rejects.toThrow();
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("fail-before-charge: a 500, nothing charged, and the key stays free for a retry that charges once", async () => {
    const key = newKey();
    const params = chargeParams();
    const error = await stripe.paymentIntents
      .create(params, { idempotencyKey: key, headers: { "Simulate-Failure": "fail-before-charge" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((error as Stripe.errors.StripeError).statusCode).toBe(500);
    expect((error as Stripe.errors.StripeError).code).toBe("simulated_failure");
    expect(await intentsFor(params.metadata)).toHaveLength(0);

    const retry = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(retry.status).toBe("succeeded");
    expect(retry.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    const again = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    expect(again.id).toBe(retry.id);
    expect(await intentsFor(params.metadata)).toHaveLength(1);
  });

  it("rejects an unknown fault mode with 400 and executes nothing", async () => {
    const params = chargeParams();
    for (const fault of ["explode", "latency=60001", "latency=-1"]) {
      const answer = await raw(provider.url, "POST", "/v1/payment_intents", params, { idempotencyKey: newKey(), fault });
      expect(answer.status, fault).toBe(400);
      expect(answer.body.error.type).toBe("invalid_request_error");
    }
    expect(await intentsFor(params.metadata)).toHaveLength(0);
  });
});
