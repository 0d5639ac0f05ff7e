import { balanceOf } from "../../ledger/balance";
import { merchantProcedure, router } from "../init";

export const balanceRouter = router({
  get: merchantProcedure.query(({ ctx }) => balanceOf(ctx.app.db.sql, ctx.merchant.id)),
});
