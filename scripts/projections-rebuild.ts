/** `npm run projections:rebuild`: replays every event into a new revenue version, then swaps it in. */
import { rebuildRevenue } from "../server/projections/rebuild";
import { logger } from "../server/observability/logger";
import { runOperator } from "./operator";

void runOperator(
  "projections:rebuild",
  (app) => rebuildRevenue(app.db.sql, { batch: 1000, graceSeconds: app.config.EVENTS_GRACE_SECONDS, log: logger }),
  (client) => client.events.rebuild.mutate(),
);
