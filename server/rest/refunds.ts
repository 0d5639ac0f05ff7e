import { parseFault } from "../faults";
import { idempotencyKeyFrom, toResponse } from "../idempotency/adapters/http";
import { preferenceApplied, waitPreference } from "../idempotency/adapters/prefer";
import { CREATE_REFUND } from "../refunds/operation";
import { createRefundInput } from "../refunds/schema";
import { route } from "./handler";
import { merchantOf } from "./merchant";
import { readJson } from "./respond";

/** POST /api/v1/refunds */
export const createRefundRoute = route(async ({ request, requestId, app }) => {
  const wait = waitPreference(request.headers.get("prefer"));
  const result = await app.calls.run({
    operation: CREATE_REFUND,
    via: "rest",
    requestId,
    scope: async () => (await merchantOf(app, request)).id,
    key: () => idempotencyKeyFrom(request.headers),
    input: () => readJson(request, createRefundInput),
    fault: () => parseFault(request.headers.get("simulate-failure"), app.config.FAULT_INJECTION),
    waitMs: (wait ?? 0) * 1000,
    ...app.operations.createRefund,
  });
  return toResponse(result, preferenceApplied(wait, result));
});
