import { z } from "zod";
import { idempotencyKeySchema } from "@oncepay/idempotency";
import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import { CREATE_PAYMENT } from "../../payments/operation";
import { getPayment, listPayments } from "../../payments/queries";
import { createPaymentInput, listPaymentsQuery, paymentSchema } from "../../payments/schema";
import { keyTimelineSchema, paymentTimeline } from "../../dashboard/timeline";
import { problem } from "../../problem";
import { text } from "../../text";
import { latestReceipt } from "../../receipts/queries";
import { checkoutProcedure, idempotentCheckoutProcedure, merchantProcedure, router } from "../init";

export const paymentRouter = router({
  /** POST /api/v1/payments, with the key in the input: same semantics, same stored outcomes. */
  create: idempotentCheckoutProcedure
    .meta({ operation: CREATE_PAYMENT })
    .input(createPaymentInput.extend({ idempotencyKey: idempotencyKeySchema }))
    .mutation(({ ctx, input: { idempotencyKey: _key, ...input } }) =>
      ctx.call({
        input,
        output: paymentSchema,
        ...ctx.app.operations.createPayment,
      }),
    ),

  list: merchantProcedure.input(listPaymentsQuery.optional()).query(({ ctx, input }) => listPayments(ctx.app.db.sql, ctx.merchant.id, input?.limit ?? 10)),

  byId: checkoutProcedure.input(z.object({ id: text().min(1).max(64) })).query(async ({ ctx, input }) => {
    const payment = await getPayment(ctx.app.db.sql, ctx.merchant.id, input.id);
    if (!payment) throw problemToTRPCError(problem("not_found", `No payment with id "${input.id}".`));
    return payment;
  }),

  /** The timeline of the key that created the payment: its recovery points, resumptions and completer runs. */
  timeline: checkoutProcedure
    .input(z.object({ id: text().min(1).max(64) }))
    .output(keyTimelineSchema)
    .query(async ({ ctx, input }) => {
      const timeline = await paymentTimeline(ctx.app.db.sql, ctx.merchant.id, input.id);
      if (!timeline) throw problemToTRPCError(problem("not_found", `No payment with id "${input.id}".`));
      return timeline;
    }),

  /** Where the payment's newest receipt document is (GET /api/v1/receipts/{sha256}); null until the receipts consumer has run. */
  receipt: checkoutProcedure
    .input(z.object({ id: text().min(1).max(64) }))
    .output(z.object({ sha256: z.string(), version: z.number(), url: z.string() }).nullable())
    .query(({ ctx, input }) => latestReceipt(ctx.app.db.sql, ctx.merchant.id, input.id)),
});
