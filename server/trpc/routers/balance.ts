import { sql } from "../../db/client";
import { getBalance } from "../../payments/queries";
import { merchantProcedure, router } from "../init";

export const balanceRouter = router({
  get: merchantProcedure.query(async ({ ctx }) => getBalance(await sql(), ctx.merchant.id)),
});
