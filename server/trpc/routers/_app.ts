import { router } from "../init";
import { balanceRouter } from "./balance";
import { dashboardRouter } from "./dashboard";
import { paymentRouter } from "./payment";
import { simulatorRouter } from "./simulator";

export const appRouter = router({
  payment: paymentRouter,
  balance: balanceRouter,
  dashboard: dashboardRouter,
  simulator: simulatorRouter,
});

export type AppRouter = typeof appRouter;
