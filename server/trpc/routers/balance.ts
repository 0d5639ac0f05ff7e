import { getBalance } from "../../payments/queries";
import { merchantProcedure, router } from "../init";

export const balanceRouter = router({
  get: merchantProcedure.query(({ ctx }) => getBalance(ctx.db.sql, ctx.merchant.id)),
});
