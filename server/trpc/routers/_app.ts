import { router } from "../init";
import { balanceRouter } from "./balance";
import { dashboardRouter } from "./dashboard";
import { eventsRouter } from "./events";
import { paymentRouter } from "./payment";
import { simulatorRouter } from "./simulator";

export const appRouter = router({
  payment: paymentRouter,
  balance: balanceRouter,
  dashboard: dashboardRouter,
  simulator: simulatorRouter,
  events: eventsRouter,
});

export type AppRouter = typeof appRouter;
