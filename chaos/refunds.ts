import Stripe from "stripe";
import { sleep, type MerchantName } from "@/fixtures";
import type { ProviderActionRecord } from "./history";
import { postJson, type Answer } from "./http";
import type { Random } from "./random";
import { backoff, retryable } from "./retry";
import type { RunContext } from "./run-context";

export interface PaidCheckout {
  id: string;
  amount: number;
  merchant: MerchantName;
  key: string;
  providerPaymentId?: string;
}

/**
 * Refunds through the API, refunds made at the provider directly and a dispute, on one payment at
 * once: each a little after the other, so they race each other and each other's webhooks. Every
 * choice is drawn before any of them starts, so the seed fixes them whatever the timing.
 */
export async function raceRefunds(run: RunContext, client: number, payment: PaidCheckout, random: Random): Promise<void> {
  const part = (share: number) => random.int(1, Math.max(1, Math.floor(payment.amount * share)));
  // Shares that often add up to more than was paid, so some refunds are refused: by us, or by the provider.
  const api = Array.from({ length: random.int(0, 2) }, (_, i) => ({ key: `${payment.key}-refund-${i}`, amount: random.chance(0.25) ? undefined : part(0.7) }));
  const atProvider = payment.providerPaymentId ? Array.from({ length: random.int(0, 2) }, () => part(0.7)) : [];
  const dispute = payment.providerPaymentId && random.chance(0.3) ? part(0.3) : undefined;
  if (api.length + atProvider.length === 0 && dispute === undefined) api.push({ key: `${payment.key}-refund-0`, amount: part(0.5) });
  const after = () => random.int(0, 150);
  const intent = payment.providerPaymentId ?? "";
  await Promise.all([
    ...api.map(async (refund) => {
      const wait = after();
      const jitter = random.fork(refund.key);
      await sleep(wait);
      await apiRefund(run, client, payment, refund, jitter);
    }),
    ...atProvider.map(async (amount) => {
      await sleep(after());
      run.history.providerActions.push(await refundAtProvider(run.stripe, payment.id, intent, amount));
    }),
    ...(dispute === undefined
      ? []
      : [
          (async () => {
            await sleep(after());
            run.history.providerActions.push(await openDispute(run.providerUrl, payment.id, intent, dispute));
          })(),
        ]),
  ]);
}

/** POST /api/v1/refunds with a key of its own, retried like a checkout until a final answer. */
async function apiRefund(run: RunContext, client: number, payment: PaidCheckout, refund: { key: string; amount?: number }, random: Random): Promise<void> {
  const body: Record<string, unknown> = { payment: payment.id, ...(refund.amount === undefined ? {} : { amount: refund.amount }) };
  let requests = 0;
  for (let retry = 0; ; retry++) {
    const at = Date.now();
    const answer: Answer = await postJson(run.appUrl, "/api/v1/refunds", { merchant: payment.merchant, key: refund.key, body, headers: {} });
    requests++;
    const id = answer.status === 201 && typeof answer.body?.id === "string" ? answer.body.id : undefined;
    run.history.request({
      client,
      operation: "refund",
      via: "rest",
      merchant: payment.merchant,
      key: refund.key,
      body,
      status: answer.status,
      id,
      amount: answer.status === 201 && typeof answer.body?.amount === "number" ? answer.body.amount : undefined,
      replayed: answer.replayed,
      at,
      ms: Date.now() - at,
    });
    if (!retryable(answer.status)) {
      run.history.attempts.push({
        client,
        operation: "refund",
        via: "rest",
        merchant: payment.merchant,
        key: refund.key,
        body,
        final: answer.status as number,
        id,
        requests,
      });
      return;
    }
    if (Date.now() > run.giveUpAt) {
      run.history.attempts.push({ client, operation: "refund", via: "rest", merchant: payment.merchant, key: refund.key, body, final: null, requests });
      return;
    }
    await backoff(retry, answer, random);
  }
}

export async function refundAtProvider(stripe: Stripe, paymentId: string, intent: string, amount: number): Promise<ProviderActionRecord> {
  const action = { kind: "refund" as const, by: "client" as const, paymentId, paymentIntent: intent, amount };
  try {
    const refund = await stripe.refunds.create({ payment_intent: intent, amount });
    return { ...action, id: refund.id };
  } catch (error) {
    return { ...action, error: error instanceof Stripe.errors.StripeError ? (error.code ?? error.type) : String(error) };
  }
}

export async function openDispute(providerUrl: string, paymentId: string, intent: string, amount: number): Promise<ProviderActionRecord> {
  const action = { kind: "dispute" as const, by: "client" as const, paymentId, paymentIntent: intent, amount };
  try {
    const res = await fetch(`${providerUrl}/_simulator/disputes`, {
      method: "POST",
      body: new URLSearchParams({ payment_intent: intent, amount: String(amount) }),
    });
    const body = (await res.json()) as { id?: string; error?: { code?: string; type?: string } };
    return res.status === 200 && body.id ? { ...action, id: body.id } : { ...action, error: body.error?.code ?? body.error?.type ?? String(res.status) };
  } catch (error) {
    return { ...action, error: String(error) };
  }
}
