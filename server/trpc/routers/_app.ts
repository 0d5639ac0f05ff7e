import { router } from "../init";
import { balanceRouter } from "./balance";
import { paymentRouter } from "./payment";

export const appRouter = router({
  payment: paymentRouter,
  balance: balanceRouter,
});

export type AppRouter = typeof appRouter;
