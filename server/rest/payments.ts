import { parseFault } from "../faults";
import { idempotencyKeyFrom, toResponse } from "../idempotency/adapters/http";
import { preferenceApplied, waitPreference } from "../idempotency/adapters/prefer";
import { CREATE_PAYMENT } from "../payments/operation";
import { balanceOf } from "../ledger/balance";
import { getPayment, listPayments } from "../payments/queries";
import { createPaymentInput, listPaymentsQuery } from "../payments/schema";
import { ProblemError } from "../problem";
import { route } from "./handler";
import { merchantOf } from "./merchant";
import { json, readJson, readQuery } from "./respond";

/** POST /api/v1/payments */
export const createPaymentRoute = route(async ({ request, requestId, app }) => {
  const wait = waitPreference(request.headers.get("prefer"));
  const result = await app.calls.run({
    operation: CREATE_PAYMENT,
    via: "rest",
    requestId,
    // A checkout's publishable key may create payments.
    scope: async () => (await merchantOf(app, request, { publishable: true })).id,
    key: () => idempotencyKeyFrom(request.headers),
    input: () => readJson(request, createPaymentInput),
    fault: () => parseFault(request.headers.get("simulate-failure"), app.config.FAULT_INJECTION),
    waitMs: (wait ?? 0) * 1000,
    value: ({ amount, currency }) => ({ amount, currency }),
    ...app.operations.createPayment,
  });
  return toResponse(result, preferenceApplied(wait, result));
});

/** GET /api/v1/payments?limit=N */
export const listPaymentsRoute = route(async ({ request, app }) => {
  const merchant = await merchantOf(app, request);
  const { limit } = readQuery(request, listPaymentsQuery);
  return json({ object: "list", data: await listPayments(app.db.sql, merchant.id, limit) });
});

/** GET /api/v1/payments/{id} */
export const getPaymentRoute = route<{ id: string }>(async ({ request, app }, { id }) => {
  const merchant = await merchantOf(app, request, { publishable: true });
  const payment = await getPayment(app.db.sql, merchant.id, id);
  if (!payment) throw ProblemError.of("not_found", `No payment with id "${id}".`);
  return json(payment);
});

/** GET /api/v1/balance */
export const balanceRoute = route(async ({ request, app }) => {
  const merchant = await merchantOf(app, request);
  return json(await balanceOf(app.db.sql, merchant.id));
});
