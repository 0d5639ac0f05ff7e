import { initTRPC } from "@trpc/server";
import { problemOfError } from "@oncepay/idempotency/trpc";
import type { Context } from "./context";
import type { Meta } from "./meta";
import { idempotent } from "./middleware/idempotent";
import { merchant } from "./middleware/merchant";
import { operator } from "./middleware/operator";
import { outage } from "./middleware/outage";

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Every error carries the problem document the REST API would send, in `data.problem`.
    errorFormatter({ shape, error }) {
      return { ...shape, data: { ...shape.data, problem: problemOfError(error) } };
    },
  });

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(outage);
/** Authenticated with `Authorization: Bearer <api key>`, like the REST API: a secret key (sk_…) only. */
export const merchantProcedure = publicProcedure.use(merchant());
/**
 * The checkout's procedures: a publishable key (pk_…, the one a browser holds) is enough. Only
 * creating a payment and reading back what the checkout shows of it are: keep this list short.
 */
export const checkoutProcedure = publicProcedure.use(merchant({ publishable: true }));
/** For operators (the dashboard, the event path, the simulator's toggles): see server/operators/. */
export const operatorProcedure = publicProcedure.use(operator);
/** For mutations that run at most once per key: the resolver hands its call to `ctx.call`. */
export const idempotentProcedure = merchantProcedure.use(idempotent);
/** The checkout's idempotent mutation (payment.create). */
export const idempotentCheckoutProcedure = checkoutProcedure.use(idempotent);
