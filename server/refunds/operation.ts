import { z } from "zod";
import type { Sql } from "../db/sql";
import type { CallArgs, OperationResult, Steps } from "@oncepay/idempotency";
import { problem } from "../problem";
import { NO_REFUND, providerKeyOf, refundAnswerSchema, type PaymentProvider, type RefundAnswer } from "../provider/provider";
import { reserveRefund, settleRefund, type ReservedRefund } from "./refund-payment";
import { createRefundInput, type CreateRefundInput } from "./schema";

export const CREATE_REFUND = "refund.create";

export const RefundPoint = { Reserved: "refund_reserved", Refunded: "refunded" } as const;

const reservedSchema = z.object({ refundId: z.string(), paymentIntent: z.string(), amount: z.number().int() });

export interface PreparedRefund {
  reserved: ReservedRefund;
  answer: RefundAnswer;
}

/**
 * refund.create in the same three phases as a charge: the refund reserved under the payment's lock
 * (recovery point), the provider's refund with a key derived from the record (recovery point), then
 * the final commit of the outcome and its ledger entry.
 */
export function createRefundOperation(provider: PaymentProvider) {
  return {
    operation: CREATE_REFUND,
    schema: createRefundInput,

    async steps(steps: Steps<Sql>, { scope, input, execution }: CallArgs<CreateRefundInput>): Promise<PreparedRefund> {
      const reserved = await steps.atomic(
        RefundPoint.Reserved,
        (tx) => reserveRefund(tx, scope, input, execution.recordId),
        (saved) => reservedSchema.parse(saved),
      );
      const answer = await steps.external(
        RefundPoint.Refunded,
        () =>
          provider.refund({
            paymentIntent: reserved.paymentIntent,
            amount: reserved.amount,
            refundId: reserved.refundId,
            idempotencyKey: providerKeyOf(execution.recordId, "refund"),
          }),
        (saved) => refundAnswerSchema.parse(saved),
      );
      return { reserved, answer };
    },

    async effect(tx: Sql, { prepared }: { prepared: PreparedRefund }): Promise<OperationResult> {
      const refund = await settleRefund(tx, prepared.reserved.refundId, prepared.answer);
      if ("failed" in refund) {
        return {
          status: 400,
          body:
            refund.failed === NO_REFUND
              ? problem("provider_no_refund", "The refund was left unfinished and the provider never made it: nothing was refunded.")
              : problem("refund_exceeds_payment", `The provider refused the refund (${refund.failed}).`),
          headers: { "content-type": "application/problem+json" },
          resourceId: prepared.reserved.refundId,
        };
      }
      return { status: 201, body: refund, headers: { "content-type": "application/json" }, resourceId: refund.id };
    },
  };
}

export type CreateRefundOperation = ReturnType<typeof createRefundOperation>;
