import { statement, type Sql } from "../db/sql";

/** What moved the money: the ledger holds at most one entry per source. */
export const LedgerSource = { Payment: "payment", Refund: "refund", Dispute: "dispute" } as const;
export type LedgerSource = (typeof LedgerSource)[keyof typeof LedgerSource];

export interface LedgerEntry {
  merchantId: string;
  currency: string;
  /** Signed minor units: payments credit, refunds and disputes debit. */
  amount: number;
  source: { type: LedgerSource; id: string };
}

// Natural idempotency: the unique (source_type, source_id) makes a second application a no-op.
const APPEND = statement(
  "ledger_append",
  `INSERT INTO ledger_entries (merchant_id, currency, amount, source_type, source_id)
   VALUES ($1, $2, $3::bigint, $4, $5)
   ON CONFLICT (source_type, source_id) DO NOTHING`,
);

/** Appends the entry inside the caller's transaction; false when its source was already applied. */
export async function appendEntry(tx: Sql, entry: LedgerEntry): Promise<boolean> {
  return (await tx.count(APPEND, [entry.merchantId, entry.currency, entry.amount, entry.source.type, entry.source.id])) === 1;
}
