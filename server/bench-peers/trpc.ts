import { app } from "../app";
import { idempotencyKeySchema } from "@oncepay/idempotency";
import { problemToTRPCError } from "@oncepay/idempotency/trpc";
import { createPaymentInput, paymentSchema, PaymentStatus } from "../payments/schema";
import { problem } from "../problem";
import { checkoutProcedure, mergeRouters, router } from "../trpc/init";
import { appRouter } from "../trpc/routers/_app";
import type { Context } from "../trpc/context";
import { naivePayment, unprotectedPayment, type PeerOutcome } from "./flows";

/** As payment.create answers: the payment with `idempotentReplayed`, or the decline as a tRPC error. */
function answer(ctx: Context, { payment, replayed }: PeerOutcome) {
  if (payment.status === PaymentStatus.Failed) throw problemToTRPCError(problem("card_declined", "The card was declined.", { payment: payment.id }));
  if (replayed) ctx.replays.count++;
  return { ...paymentSchema.parse(payment), idempotentReplayed: replayed };
}

/** The bench peers of payment.create (server/bench-peers/flows.ts), behind the checkout's same authentication. */
const benchRouter = router({
  unprotected: router({
    create: checkoutProcedure
      .input(createPaymentInput)
      .mutation(async ({ ctx, input }) => answer(ctx, await unprotectedPayment(await app(), ctx.merchant.id, input))),
  }),
  naive: router({
    create: checkoutProcedure
      .input(createPaymentInput.extend({ idempotencyKey: idempotencyKeySchema }))
      .mutation(async ({ ctx, input: { idempotencyKey, ...input } }) => answer(ctx, await naivePayment(await app(), ctx.merchant.id, idempotencyKey, input))),
  }),
});

/** The app's router plus `bench.*`: served instead of appRouter only when ONCEPAY_BENCH_PEERS is set. */
export const benchAppRouter = mergeRouters(appRouter, router({ bench: benchRouter }));
