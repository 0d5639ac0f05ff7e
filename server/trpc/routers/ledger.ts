import { z } from "zod";
import { rebuildBalances } from "../../ledger/rollup";
import { operatorProcedure, router } from "../init";

const amountsSchema = z.object({ amount: z.number(), entries: z.number() }).nullable();

/** `npm run ledger:rebuild` on the embedded database comes through here, with the operator token. */
export const ledgerRouter = router({
  /** Sets the balance rollup back to the ledger's sums where they differ; safe to repeat. */
  rebuild: operatorProcedure
    .output(
      z.object({
        corrected: z.array(z.object({ merchantId: z.string(), currency: z.string(), rollup: amountsSchema, ledger: amountsSchema })),
        ms: z.number(),
      }),
    )
    .mutation(({ ctx }) => rebuildBalances(ctx.app.db.sql)),
});
