/** `npm run ledger:rebuild`: sets the balance rollup back to the ledger's sums wherever they differ. */
import { rebuildBalances } from "../server/ledger/rollup";
import { runOperator } from "./operator";

void runOperator(
  "ledger:rebuild",
  (app) => rebuildBalances(app.db.sql),
  (client) => client.ledger.rebuild.mutate(),
);
