import { router } from "../init";
import { dashboardRouter } from "./dashboard";
import { eventsRouter } from "./events";
import { ledgerRouter } from "./ledger";
import { simulatorRouter } from "./simulator";

/**
 * Everything but the checkout's: for operators (server/operators/), every procedure an
 * `operatorProcedure`. Merged into the app's router at the top level, so the paths stay
 * `dashboard.*`, `events.*`, `ledger.*`, `simulator.*`.
 */
export const operatorRouter = router({
  dashboard: dashboardRouter,
  simulator: simulatorRouter,
  events: eventsRouter,
  ledger: ledgerRouter,
});
