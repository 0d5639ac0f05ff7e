import { z } from "zod";
import { sql } from "../../db/client";
import { idempotencyKeySchema } from "../../idempotency/key";
import { CREATE_PAYMENT, executeCreatePayment } from "../../payments/operation";
import { getPayment, listPayments } from "../../payments/queries";
import { createPaymentInput, listPaymentsQuery, paymentSchema } from "../../payments/schema";
import { problemToTRPCError } from "../../idempotency/adapters/trpc";
import { problem } from "../../problem";
import { idempotentProcedure, merchantProcedure, router } from "../init";

export const paymentRouter = router({
  /** POST /api/v1/payments, with the key in the input: same semantics, same stored outcomes. */
  create: idempotentProcedure
    .input(createPaymentInput.extend({ idempotencyKey: idempotencyKeySchema }))
    .mutation(({ ctx, input: { idempotencyKey: _key, ...input } }) =>
      ctx.idempotency.run({
        operation: CREATE_PAYMENT,
        input,
        output: paymentSchema,
        value: { amount: input.amount, currency: input.currency },
        execute: (tx, context) => executeCreatePayment(tx, ctx.merchant.id, input, context),
      }),
    ),

  list: merchantProcedure
    .input(listPaymentsQuery.optional())
    .query(async ({ ctx, input }) => listPayments(await sql(), ctx.merchant.id, input?.limit ?? 10)),

  byId: merchantProcedure.input(z.object({ id: z.string().min(1).max(64) })).query(async ({ ctx, input }) => {
    const payment = await getPayment(await sql(), ctx.merchant.id, input.id);
    if (!payment) throw problemToTRPCError(problem("not_found", `No payment with id "${input.id}".`));
    return payment;
  }),
});
