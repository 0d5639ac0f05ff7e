import { mergeRouters, router } from "../init";
import { balanceRouter } from "./balance";
import { operatorRouter } from "./operator";
import { paymentRouter } from "./payment";

/** The checkout's procedures (merchants, by API key) and the operators' (server/operators/). */
export const appRouter = mergeRouters(
  router({
    payment: paymentRouter,
    balance: balanceRouter,
  }),
  operatorRouter,
);

export type AppRouter = typeof appRouter;
