import { afterAll, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { providerLedger, startSimulatorProcess, stripeFor, type SimulatorProcess } from "@/fixtures/simulator-process";
import { chargeParams, raw } from "./http";

const started: SimulatorProcess[] = [];
afterAll(async () => {
  for (const p of started) await p.kill();
});

describe("the ledger is durable", () => {
  it("keeps PaymentIntents, refunds, events and idempotency keys across kill -9 and restart", async () => {
    const first = await startSimulatorProcess();
    started.push(first);
    const stripe = stripeFor(first.url);
    const key = newKey();
    const params = chargeParams();
    const pi = await stripe.paymentIntents.create(params, { idempotencyKey: key });
    const original = await raw(first.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key });
    await stripe.refunds.create({ payment_intent: pi.id, amount: 200 });
    // A claim the crash interrupts (still in its latency): it never executed, so it must not block the key afterwards.
    const interruptedKey = newKey();
    const interrupted = raw(first.url, "POST", "/v1/payment_intents", chargeParams(), { idempotencyKey: interruptedKey, fault: "latency=10000" }).catch(
      () => "dropped",
    );
    const before = await providerLedger(first.url);

    await first.kill();
    expect(await interrupted).toBe("dropped");

    const second = await startSimulatorProcess({ dataDir: first.dataDir });
    started.push(second);
    const after = await providerLedger(second.url);
    expect(after).toEqual(before);
    expect(after.payment_intents.find((p) => p.id === pi.id)).toMatchObject({ status: "succeeded", amount_refunded: 200 });

    const replay = await raw(second.url, "POST", "/v1/payment_intents", params, { idempotencyKey: key });
    expect(replay.text).toBe(original.text);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");

    const retried = await stripeFor(second.url).paymentIntents.create(chargeParams(), { idempotencyKey: interruptedKey });
    expect(retried.status).toBe("succeeded");

    await second.stop(); // and a graceful stop keeps it too
    const third = await startSimulatorProcess({ dataDir: first.dataDir });
    started.push(third);
    expect((await providerLedger(third.url)).payment_intents.map((p) => p.id)).toContain(retried.id);
  });

  it("keeps nothing in memory:// (the throwaway mode)", async () => {
    const p = await startSimulatorProcess({ dataDir: "memory://" });
    started.push(p);
    await stripeFor(p.url).paymentIntents.create(chargeParams());
    expect((await providerLedger(p.url)).payment_intents).toHaveLength(1);
    await p.stop();
    const again = await startSimulatorProcess({ dataDir: "memory://" });
    started.push(again);
    expect((await providerLedger(again.url)).payment_intents).toHaveLength(0);
  });
});
