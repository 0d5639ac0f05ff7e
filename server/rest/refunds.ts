import { readJson, runRequest } from "@oncepay/idempotency/fetch";
import { withFault } from "../faults";
import { createRefundInput } from "../refunds/schema";
import { route } from "./handler";
import { merchantOf } from "./merchant";

/** POST /api/v1/refunds */
export const createRefundRoute = route(({ request, requestId, app }) =>
  runRequest(app.calls, request, {
    via: "rest",
    requestId,
    scope: async () => (await merchantOf(app, request)).id,
    input: () => readJson(request, createRefundInput),
    wrap: (call) => withFault(call, () => request.headers.get("simulate-failure"), app.config.FAULT_INJECTION),
    ...app.operations.createRefund,
  }),
);
