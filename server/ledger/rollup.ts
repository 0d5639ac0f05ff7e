import { statement, type SqlPool } from "../db/sql";

/**
 * The balance rollup (`ledger_balances`): per merchant and currency, 8 stripes whose sum is the sum
 * of the ledger's entries. The trigger `ledger_entries_rollup` (migration 20261207000000) moves a
 * stripe in the statement that inserts, updates or deletes an entry, so the two commit together;
 * a TRUNCATE of the ledger empties it. Nothing in the app writes it otherwise.
 */

export interface Drift {
  merchantId: string;
  currency: string;
  /** What the rollup said (null: no row), and what the ledger says (null: no entry). */
  rollup: { amount: number; entries: number } | null;
  ledger: { amount: number; entries: number } | null;
}

// One scan of the ledger (its (merchant_id, currency, amount) index, index-only) against the rollup.
const DRIFT = statement(
  "ledger_rollup_drift",
  `WITH ledger AS (
     SELECT merchant_id, currency, sum(amount) AS amount, count(*) AS entries FROM ledger_entries GROUP BY merchant_id, currency
   ), rollup AS (
     SELECT merchant_id, currency, sum(amount) AS amount, sum(entries) AS entries FROM ledger_balances GROUP BY merchant_id, currency
   )
   SELECT merchant_id AS "merchantId", currency,
          r.amount::float8 AS rollup_amount, r.entries::float8 AS rollup_entries,
          l.amount::float8 AS ledger_amount, l.entries::float8 AS ledger_entries
     FROM ledger l FULL JOIN rollup r USING (merchant_id, currency)
    WHERE l.amount IS DISTINCT FROM r.amount OR coalesce(l.entries, 0) <> coalesce(r.entries, 0)
    ORDER BY 1, 2`,
);
// Writers wait while a rebuild holds it (SHARE conflicts with their ROW EXCLUSIVE): what the drift
// read cannot move before the correction commits.
const LOCK = statement("ledger_rollup_lock", "LOCK TABLE ledger_entries IN SHARE MODE");
const CLEAR = statement("ledger_rollup_clear", "DELETE FROM ledger_balances WHERE merchant_id = $1 AND currency = $2");
const SET = statement(
  "ledger_rollup_set",
  "INSERT INTO ledger_balances (merchant_id, currency, stripe, amount, entries) VALUES ($1, $2, 0, $3::bigint, $4::bigint)",
);

interface DriftRow {
  merchantId: string;
  currency: string;
  rollup_amount: number | null;
  rollup_entries: number | null;
  ledger_amount: number | null;
  ledger_entries: number | null;
}

function toDrift(r: DriftRow): Drift {
  return {
    merchantId: r.merchantId,
    currency: r.currency,
    rollup: r.rollup_amount === null ? null : { amount: r.rollup_amount, entries: r.rollup_entries ?? 0 },
    ledger: r.ledger_amount === null ? null : { amount: r.ledger_amount, entries: r.ledger_entries ?? 0 },
  };
}

/** Where the rollup and the ledger disagree (nothing, unless someone wrote the rollup by hand or the trigger was off). */
export async function rollupDrift(sql: SqlPool): Promise<Drift[]> {
  return (await sql.rows<DriftRow>(DRIFT)).map(toDrift);
}

export interface RebuildBalancesReport {
  /** The (merchant, currency) totals that were wrong, now set from the ledger. */
  corrected: Drift[];
  ms: number;
}

/**
 * Sets every rollup total that differs from the ledger back to the ledger's sum, in one
 * transaction with the ledger locked against writers (payments wait for it, none fail). At 1 M
 * entries the scan takes a few hundred milliseconds, within the transaction's bound.
 */
export async function rebuildBalances(sql: SqlPool): Promise<RebuildBalancesReport> {
  const started = performance.now();
  const corrected = await sql.transaction(async (tx) => {
    await tx.count(LOCK);
    const drift = (await tx.rows<DriftRow>(DRIFT)).map(toDrift);
    for (const d of drift) {
      await tx.count(CLEAR, [d.merchantId, d.currency]);
      if (d.ledger) await tx.count(SET, [d.merchantId, d.currency, d.ledger.amount, d.ledger.entries]);
    }
    return drift;
  });
  return { corrected, ms: Math.round(performance.now() - started) };
}
