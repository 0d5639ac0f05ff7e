import { faultHooks, parseFault } from "../faults";
import { fingerprint } from "../idempotency/fingerprint";
import { defaultEngine } from "../idempotency/default-engine";
import { idempotencyKeyFrom, runHttp } from "../idempotency/adapters/http";
import { CREATE_PAYMENT, executeCreatePayment } from "../payments/operation";
import { getBalance, getPayment, listPayments } from "../payments/queries";
import { createPaymentInput, listPaymentsQuery } from "../payments/schema";
import { ProblemError } from "../problem";
import { handler } from "./handler";
import { json, readJson, readQuery } from "./respond";

/** POST /api/v1/payments */
export const createPaymentRoute = handler(
  async (ctx) => {
    const merchant = await ctx.merchant();
    const key = idempotencyKeyFrom(ctx.request.headers);
    ctx.report.key = key;
    const input = await readJson(ctx.request, createPaymentInput);
    ctx.report.amount = input.amount;
    ctx.report.currency = input.currency;
    const fault = faultHooks(parseFault(ctx.request.headers.get("simulate-failure")));
    const engine = await defaultEngine();
    const { response, outcome } = await runHttp(
      engine,
      {
        scope: merchant.id,
        operation: CREATE_PAYMENT,
        key,
        fingerprint: fingerprint(input),
        beforeExecute: fault.beforeExecute,
        execute: fault.wrap((tx, context) => executeCreatePayment(tx, merchant.id, input, context)),
      },
      { withholdResponse: fault.withholdResponse },
    );
    ctx.report.outcome = outcome;
    return response;
  },
  { operation: CREATE_PAYMENT },
);

/** GET /api/v1/payments?limit=N */
export const listPaymentsRoute = handler(async (ctx) => {
  const merchant = await ctx.merchant();
  const { limit } = readQuery(ctx.request, listPaymentsQuery);
  const data = await listPayments(await ctx.sql(), merchant.id, limit);
  return json({ object: "list", data });
});

/** GET /api/v1/payments/{id} */
export const getPaymentRoute = handler<{ id: string }>(async (ctx, { id }) => {
  const merchant = await ctx.merchant();
  const payment = await getPayment(await ctx.sql(), merchant.id, id);
  if (!payment) throw ProblemError.of("not_found", `No payment with id "${id}".`);
  return json(payment);
});

/** GET /api/v1/balance */
export const balanceRoute = handler(async (ctx) => {
  const merchant = await ctx.merchant();
  return json(await getBalance(await ctx.sql(), merchant.id));
});
