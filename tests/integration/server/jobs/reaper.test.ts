import { describe, expect, it } from "vitest";
import { newKey, poll, sleep } from "@/fixtures";
import { intentsFor } from "@/tests/support/provider-ledger";
import { STACK_KINDS, useOwnStack } from "@/tests/support/own-stack";
import { providerLedger } from "@/fixtures/simulator-process";
import { expectReconciled } from "@/tests/support/reconcile";

const TTL_SECONDS = 4;
// A short life for everything: the TTL is the least the configuration allows (2 × the processing
// timeout). The completer is off, so nothing but a retry or the reaper finishes a payment.
const SETTINGS = {
  IDEMPOTENCY_TTL_SECONDS: String(TTL_SECONDS),
  IDEMPOTENCY_LOCK_TIMEOUT_SECONDS: "1",
  PROCESSING_TIMEOUT_SECONDS: "2",
  COMPLETER_INTERVAL_SECONDS: "3600",
  CLEANUP_INTERVAL_SECONDS: "0.5",
  JOBS_LEASE_SECONDS: "2",
};
const REAPER_OFF = { REAPER_INTERVAL_SECONDS: "3600" };
const REAPER_ON = { REAPER_INTERVAL_SECONDS: "0.5" };

const BODY = { amount: 1700, currency: "usd" };

/**
 * Retention and the reaper (contract: "Retention"). A record stopped past a recovery point is never
 * deleted while its payment or refund is unsettled, so a retry long after the TTL resumes it under
 * the same provider key instead of charging again; and a payment or refund left unsettled, past its
 * record's retention, with nobody to finish it, is settled by the reaper from the provider's own answer.
 */
describe.each(STACK_KINDS)("retention and the reaper (%s)", (kind) => {
  const stack = useOwnStack({ kind, serverEnv: { ...SETTINGS, ...REAPER_OFF } });
  const lostCharge: { key?: string; payment?: string } = {};
  const neverCharged: { key?: string; payment?: string } = {};
  const refunds: { made?: { key: string; payment: string }; never?: { key: string; payment: string } } = {};

  async function payLosing(fault: string): Promise<{ key: string; payment: string }> {
    const key = newKey();
    const res = await stack.api.pay(BODY, { key, headers: { "simulate-failure": fault } });
    expect(res.status).toBeGreaterThanOrEqual(502);
    const [payment] = await stack.api.paymentsWithKey(key);
    expect(payment?.status).toBe("processing");
    return { key, payment: payment!.id };
  }

  async function refundLosing(payment: string, fault: string): Promise<{ key: string; payment: string }> {
    const key = newKey();
    const res = await refund(payment, key, fault);
    expect(res.status).toBeGreaterThanOrEqual(502);
    return { key, payment };
  }

  const refund = (payment: string, key: string, fault?: string) =>
    stack.api.request("/api/v1/refunds", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key, ...(fault && { "simulate-failure": fault }) },
      body: JSON.stringify({ payment, amount: 400 }),
    });

  it("a retry after the TTL resumes a record stopped past a recovery point: one PaymentIntent, never a second charge", async () => {
    const { key, payment } = await payLosing("provider-timeout-after-charge");
    await sleep((TTL_SECONDS + 1) * 1000); // past retention, with the cleanup running every half second
    const retry = await stack.api.pay(BODY, { key });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(payment);
    expect(await intentsFor(stack.provider.url, payment)).toHaveLength(1);
    expect(await stack.api.paymentsWithKey(key)).toHaveLength(1);
  });

  it("leaves payments and refunds unsettled past their records' retention while the reaper is off", async () => {
    Object.assign(lostCharge, await payLosing("provider-timeout-after-charge"));
    Object.assign(neverCharged, await payLosing("provider-fail-before-charge"));
    const paid = await stack.api.pay(BODY, { key: newKey() });
    const other = await stack.api.pay(BODY, { key: newKey() });
    refunds.made = await refundLosing(paid.body.id, "provider-timeout-after-charge");
    refunds.never = await refundLosing(other.body.id, "provider-fail-before-charge");
    expect((await stack.api.request(`/api/v1/payments/${other.body.id}`)).body.amountRefunded).toBe(400); // reserved
    await sleep((TTL_SECONDS + 1) * 1000);
    for (const { payment } of [lostCharge, neverCharged]) expect((await stack.api.request(`/api/v1/payments/${payment}`)).body.status).toBe("processing");
  });

  it("the reaper settles each from the provider's answer, once, and a late retry gets the stored outcome", async () => {
    const before = await stack.api.balance();
    await stack.restart(REAPER_ON);
    const settled = async (payment: string) => {
      const status = (await stack.api.request(`/api/v1/payments/${payment}`)).body.status as string;
      return status !== "processing" && status;
    };
    // Charged at the provider: succeeded, with its ledger entry.
    expect(
      await poll(() => settled(lostCharge.payment!), { timeoutMs: 20_000, intervalMs: 200, message: "the reaper never settled the charged payment" }),
    ).toBe("succeeded");
    const late = await stack.api.pay(BODY, { key: lostCharge.key! });
    expect(late.status).toBe(201);
    expect(late.headers.get("idempotent-replayed")).toBe("true");
    expect(late.body).toMatchObject({ id: lostCharge.payment, status: "succeeded" });
    // Never charged: failed, provider_no_charge, and nothing charged.
    expect(
      await poll(() => settled(neverCharged.payment!), { timeoutMs: 20_000, intervalMs: 200, message: "the reaper never settled the uncharged payment" }),
    ).toBe("failed");
    const declined = await stack.api.pay(BODY, { key: neverCharged.key! });
    expect(declined.status).toBe(402);
    expect(declined.body.code).toBe("provider_no_charge");
    expect(await intentsFor(stack.provider.url, neverCharged.payment!)).toHaveLength(0);
    // Refunds likewise: the one the provider made succeeded, the other given back.
    const refunded = async (payment: string, amount: number) => (await stack.api.request(`/api/v1/payments/${payment}`)).body.amountRefunded === amount;
    await poll(() => refunded(refunds.never!.payment, 0), { timeoutMs: 20_000, intervalMs: 200, message: "the reaper never gave the unmade refund back" });
    expect((await refund(refunds.never!.payment, refunds.never!.key)).body.code).toBe("provider_no_refund");
    expect((await refund(refunds.made!.payment, refunds.made!.key)).status).toBe(201);
    expect((await stack.api.request(`/api/v1/payments/${refunds.made!.payment}`)).body.amountRefunded).toBe(400);
    expect(await stack.api.balance()).toBe(before + BODY.amount - 400);
    // Once: one event per movement.
    const events = (await stack.api.request("/api/v1/events?limit=100")).body.data as { type: string; data: { payment: { id: string } } }[];
    expect(events.filter((e) => e.data.payment.id === lostCharge.payment && e.type === "payment.succeeded")).toHaveLength(1);
    expect(events.filter((e) => e.data.payment.id === neverCharged.payment && e.type === "payment.failed")).toHaveLength(1);
  });

  it("after the suite, nothing is left processing or pending, and the ledgers agree", async () => {
    expect((await providerLedger(stack.provider.url)).payment_intents.length).toBeGreaterThan(0);
    if (kind === "embedded") await stack.server.stop();
    await expectReconciled(stack.provider.url, [stack.local], 20_000);
  });
});
