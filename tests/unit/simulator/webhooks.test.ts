import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import type { EventRow } from "@/simulator/events";
import { backoffAfter, webhookConfigFromEnv } from "@/simulator/webhooks/config";
import { eventBody, signatureHeader } from "@/simulator/webhooks/payload";

describe("webhook settings", () => {
  it("defaults to delivering to the dev app, and PROVIDER_WEBHOOKS=0 turns delivery off", () => {
    expect(webhookConfigFromEnv({})).toMatchObject({
      url: "http://127.0.0.1:3000/api/v1/webhooks/provider",
      secret: "whsec_oncepay_dev",
      maxAttempts: 12,
      timeoutMs: 5_000,
      chaos: false,
    });
    expect(webhookConfigFromEnv({ PROVIDER_WEBHOOKS: "0" })).toBeUndefined();
    expect(webhookConfigFromEnv({ PROVIDER_WEBHOOK_CHAOS: "1", PROVIDER_WEBHOOK_MAX_ATTEMPTS: "3" })).toMatchObject({ chaos: true, maxAttempts: 3 });
    expect(() => webhookConfigFromEnv({ PROVIDER_WEBHOOK_URL: "not a url" })).toThrow();
  });

  it("follows the app's PORT when PROVIDER_WEBHOOK_URL is unset, as `PORT=4000 npm run dev` starts both", () => {
    expect(webhookConfigFromEnv({ PORT: "4000" })?.url).toBe("http://127.0.0.1:4000/api/v1/webhooks/provider");
    expect(webhookConfigFromEnv({ PORT: "4000", PROVIDER_WEBHOOK_URL: "http://10.0.0.7:8080/hooks" })?.url).toBe("http://10.0.0.7:8080/hooks");
    expect(() => webhookConfigFromEnv({ PORT: "forty" })).toThrow(/PORT/);
  });

  it("backs off exponentially from 0.5 s, capped at 60 s", () => {
    const config = { backoffMs: 500, maxBackoffMs: 60_000 };
    expect([1, 2, 3, 4, 8, 12].map((attempt) => backoffAfter(attempt, config))).toEqual([500, 1_000, 2_000, 4_000, 60_000, 60_000]);
  });
});

describe("webhook payloads", () => {
  const row: EventRow = {
    seq: 7,
    id: "evt_1",
    type: "payment_intent.succeeded",
    created: 1_800_000_000,
    data: { object: { id: "pi_1", object: "payment_intent" } },
    idempotency_key: "key-1",
  };

  it("is a Stripe event, signed as the SDK verifies it", () => {
    const body = eventBody(row);
    const event = new Stripe("sk_test_unused").webhooks.constructEvent(body, signatureHeader(body, "whsec_x"), "whsec_x");
    expect(event).toEqual({
      id: "evt_1",
      object: "event",
      api_version: Stripe.API_VERSION,
      created: 1_800_000_000,
      data: { object: { id: "pi_1", object: "payment_intent" } },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: "key-1" },
      type: "payment_intent.succeeded",
    });
    expect(() => new Stripe("sk_test_unused").webhooks.constructEvent(body, signatureHeader(body, "whsec_x"), "whsec_y")).toThrow();
    // Outside the SDK's default five-minute tolerance: a stale signature is refused too.
    expect(() => new Stripe("sk_test_unused").webhooks.constructEvent(body, signatureHeader(body, "whsec_x", 1_000), "whsec_x")).toThrow();
  });
});
