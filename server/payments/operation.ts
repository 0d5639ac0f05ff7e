import { z } from "zod";
import type { Sql } from "../db/sql";
import type { CallArgs, OperationResult, Steps } from "@oncepay/idempotency";
import { problem } from "../problem";
import { chargeAnswerSchema, NO_CHARGE, providerKeyOf, type ChargeAnswer, type PaymentProvider } from "../provider/provider";
import { settle, startPayment } from "./create-payment";
import { createPaymentInput, type CreatePaymentInput } from "./schema";

/** The idempotency operation name: one scope for REST and tRPC, so a key means one payment either way. */
export const CREATE_PAYMENT = "payment.create";

/** The recovery points of payment.create, in order. */
export const PaymentPoint = { Created: "payment_created", Charged: "charged" } as const;

/** What the steps hand the final commit. */
export interface Prepared {
  paymentId: string;
  charge: ChargeAnswer;
}

const createdSchema = z.object({ paymentId: z.string() });

/**
 * payment.create in three phases (brandur's atomic phases): the local payment and its recovery
 * point; the provider charge, whose recovery point rides in the final commit of the outcome. A crash
 * or timeout anywhere is finished by whoever runs the key next, from the last recovery point (after
 * `payment_created`, that asks the provider again under the same derived key).
 */
export function createPaymentOperation(provider: PaymentProvider) {
  return {
    operation: CREATE_PAYMENT,
    schema: createPaymentInput,
    /** The money at stake, for the request history (a replay of it is money protected). */
    attributes: ({ amount, currency }: CreatePaymentInput) => ({ amount, currency }),

    async steps(steps: Steps<Sql>, { scope, input, execution }: CallArgs<CreatePaymentInput>): Promise<Prepared> {
      const providerKey = providerKeyOf(execution.recordId, "charge");
      const { paymentId } = await steps.atomic(
        PaymentPoint.Created,
        async (tx) => ({
          paymentId: await startPayment(tx, scope, input, { idempotencyKey: execution.key, idempotencyRecordId: execution.recordId, providerKey }),
        }),
        (saved) => createdSchema.parse(saved),
      );
      const charge = await steps.external(
        PaymentPoint.Charged,
        () =>
          provider.charge({
            paymentId,
            amount: input.amount,
            currency: input.currency,
            customer: input.customer ?? null,
            idempotencyKey: providerKey,
          }),
        (saved) => chargeAnswerSchema.parse(saved),
        // The provider key is derived from the record, so asking again after a crash gets the same
        // PaymentIntent back, never a second one: the answer rides in the final commit (one commit
        // fewer per payment) instead of a commit of its own.
        { repeatable: true },
      );
      return { paymentId, charge };
    },

    /**
     * The outcome is stored in HTTP terms (201 payment, 402 problem), because that is what every
     * duplicate is answered with, whichever protocol asks.
     */
    // Any input: the reaper settles with it too, under a key of its own when the record is gone.
    async effect(tx: Sql, { scope, prepared }: Pick<CallArgs<unknown>, "scope"> & { prepared: Prepared }): Promise<OperationResult> {
      const { payment } = await settle(tx, scope, prepared.paymentId, prepared.charge);
      if (prepared.charge.status === "failed") {
        const abandoned = prepared.charge.code === NO_CHARGE;
        return {
          status: 402,
          body: abandoned
            ? problem(
                "provider_no_charge",
                "The payment was left unfinished and the provider has no charge for it: nothing was charged. Use a new key to pay.",
                {
                  payment: payment.id,
                },
              )
            : problem("card_declined", "The card was declined.", { payment: payment.id }),
          headers: { "content-type": "application/problem+json" },
          resourceId: payment.id,
        };
      }
      return {
        status: 201,
        body: payment,
        headers: { "content-type": "application/json", location: `/api/v1/payments/${payment.id}` },
        resourceId: payment.id,
      };
    },
  };
}

export type CreatePaymentOperation = ReturnType<typeof createPaymentOperation>;
