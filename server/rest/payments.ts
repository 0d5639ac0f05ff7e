import { readJson, runRequest } from "@oncepay/idempotency/fetch";
import { withFault } from "../faults";
import { balanceOf } from "../ledger/balance";
import { getPayment, listPayments } from "../payments/queries";
import { createPaymentInput, listPaymentsQuery } from "../payments/schema";
import { problemError } from "../problem";
import { route } from "./handler";
import { merchantOf } from "./merchant";
import { json, readQuery } from "./respond";

/** POST /api/v1/payments */
export const createPaymentRoute = route(({ request, requestId, app }) =>
  runRequest(app.calls, request, {
    via: "rest",
    requestId,
    // A checkout's publishable key may create payments.
    scope: async () => (await merchantOf(app, request, { publishable: true })).id,
    input: () => readJson(request, createPaymentInput),
    wrap: (call) => withFault(call, () => request.headers.get("simulate-failure"), app.config.FAULT_INJECTION),
    ...app.operations.createPayment,
  }),
);

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
  if (!payment) throw problemError("not_found", `No payment with id "${id}".`);
  return json(payment);
});

/** GET /api/v1/balance */
export const balanceRoute = route(async ({ request, app }) => {
  const merchant = await merchantOf(app, request);
  return json(await balanceOf(app.db.sql, merchant.id));
});
