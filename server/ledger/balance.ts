import { statement, type Sql } from "../db/sql";
import type { Currency } from "../payments/schema";

export interface Balance {
  available: { currency: Currency; amount: number }[];
}

// From the rollup the ledger's own trigger keeps (server/ledger/rollup.ts): at most 8 stripes per
// currency, read by the primary key, however many entries the merchant has. A currency shows once
// it has entries, as when the balance was the entries' sum.
const BALANCE = statement(
  "ledger_balance",
  `SELECT currency, sum(amount)::text AS amount FROM ledger_balances WHERE merchant_id = $1
    GROUP BY currency HAVING sum(entries) > 0 ORDER BY currency`,
);

export async function balanceOf(db: Sql, merchantId: string): Promise<Balance> {
  const rows = await db.rows<{ currency: string; amount: string }>(BALANCE, [merchantId]);
  // Sums of int amounts over a merchant's entries stay far below 2^53.
  return { available: rows.map((r) => ({ currency: r.currency as Currency, amount: Number(r.amount) })) };
}
