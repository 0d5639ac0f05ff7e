import { statement, type Sql } from "../db/sql";
import type { Currency } from "../payments/schema";

export interface Balance {
  available: { currency: Currency; amount: number }[];
}

// Derived, never stored: an index-only scan of (merchant_id, currency, amount). No row is updated by
// every payment, so payments never queue behind each other for a balance.
const BALANCE = statement(
  "ledger_balance",
  "SELECT currency, sum(amount)::text AS amount FROM ledger_entries WHERE merchant_id = $1 GROUP BY currency ORDER BY currency",
);

export async function balanceOf(db: Sql, merchantId: string): Promise<Balance> {
  const rows = await db.rows<{ currency: string; amount: string }>(BALANCE, [merchantId]);
  // Sums of int amounts over a merchant's entries stay far below 2^53.
  return { available: rows.map((r) => ({ currency: r.currency as Currency, amount: Number(r.amount) })) };
}
