import { idempotencyKeyFrom, toResponse } from "../idempotency/adapters/http";
import { CREATE_REFUND } from "../refunds/operation";
import { createRefundInput } from "../refunds/schema";
import { route } from "./handler";
import { merchantOf } from "./merchant";
import { readJson } from "./respond";

/** POST /api/v1/refunds */
export const createRefundRoute = route(async ({ request, requestId, app }) =>
  toResponse(
    await app.calls.run({
      operation: CREATE_REFUND,
      via: "rest",
      requestId,
      scope: async () => (await merchantOf(app, request)).id,
      key: () => idempotencyKeyFrom(request.headers),
      input: () => readJson(request, createRefundInput),
      ...app.operations.createRefund,
    }),
  ),
);
