import { router } from "../init";
import { balanceRouter } from "./balance";
import { dashboardRouter } from "./dashboard";
import { paymentRouter } from "./payment";

export const appRouter = router({
  payment: paymentRouter,
  balance: balanceRouter,
  dashboard: dashboardRouter,
});

export type AppRouter = typeof appRouter;
