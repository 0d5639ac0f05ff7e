import type { Sql } from "../db/sql";
import type { ExecutionContext, OperationResult } from "../idempotency/engine";
import { problem } from "../problem";
import { createPayment } from "./create-payment";
import type { CreatePaymentInput } from "./schema";

/** The idempotency operation name: one scope for REST and tRPC, so a key means one payment either way. */
export const CREATE_PAYMENT = "payment.create";

/**
 * payment.create as an idempotent operation: the outcome is stored in HTTP terms (201 payment,
 * 402 problem), because that is what every duplicate is answered with, whichever protocol asks.
 */
export async function executeCreatePayment(tx: Sql, merchantId: string, input: CreatePaymentInput, context: ExecutionContext): Promise<OperationResult> {
  const outcome = await createPayment(tx, merchantId, input, {
    idempotencyKey: context.key,
    idempotencyRecordId: context.recordId,
  });
  if (outcome.kind === "declined") {
    return {
      status: 402,
      body: problem("card_declined", "The card was declined.", { payment: outcome.payment.id }),
      headers: { "content-type": "application/problem+json" },
      resourceId: outcome.payment.id,
    };
  }
  return {
    status: 201,
    body: outcome.payment,
    headers: { "content-type": "application/json", location: `/api/v1/payments/${outcome.payment.id}` },
    resourceId: outcome.payment.id,
  };
}
