-- The balance from a rollup kept with the ledger (issue 19). Written by hand: Prisma cannot say a
-- trigger. Every change to ledger_entries moves ledger_balances in the same statement, so the
-- rollup commits or rolls back with the entry and no writer can forget it.

-- CreateTable
CREATE TABLE "ledger_balances" (
    "merchant_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "stripe" SMALLINT NOT NULL,
    "amount" BIGINT NOT NULL DEFAULT 0,
    "entries" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "ledger_balances_pkey" PRIMARY KEY ("merchant_id", "currency", "stripe")
);

-- A (merchant, currency) total is spread over 8 stripes so that concurrent payments of one merchant
-- do not queue on one row lock until commit; the balance is the sum of its stripes. A transaction
-- writes all its entries to one stripe (picked by its transaction id), so two transactions that
-- each move several entries never lock two stripes in opposite orders (no deadlock). Deletes and
-- updates move the same transaction's stripe: only the sum is meaningful.
CREATE FUNCTION "ledger_balances_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s SMALLINT := (txid_current() % 8)::smallint;
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
    INSERT INTO ledger_balances AS b (merchant_id, currency, stripe, amount, entries)
    VALUES (OLD.merchant_id, OLD.currency, s, -OLD.amount, -1)
    ON CONFLICT (merchant_id, currency, stripe)
    DO UPDATE SET amount = b.amount + EXCLUDED.amount, entries = b.entries + EXCLUDED.entries;
  END IF;
  IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
    INSERT INTO ledger_balances AS b (merchant_id, currency, stripe, amount, entries)
    VALUES (NEW.merchant_id, NEW.currency, s, NEW.amount, 1)
    ON CONFLICT (merchant_id, currency, stripe)
    DO UPDATE SET amount = b.amount + EXCLUDED.amount, entries = b.entries + EXCLUDED.entries;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION "ledger_balances_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM ledger_balances;
  RETURN NULL;
END
$$;

-- The trigger takes its lock on ledger_entries before the backfill reads it: no entry can commit
-- between the two, so the backfill plus the trigger count every entry exactly once.
CREATE TRIGGER "ledger_entries_rollup" AFTER INSERT OR UPDATE OF "merchant_id", "currency", "amount" OR DELETE ON "ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION "ledger_balances_apply"();
CREATE TRIGGER "ledger_entries_rollup_truncate" AFTER TRUNCATE ON "ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_balances_truncate"();

LOCK TABLE "ledger_entries" IN SHARE MODE;
INSERT INTO "ledger_balances" ("merchant_id", "currency", "stripe", "amount", "entries")
SELECT "merchant_id", "currency", 0, sum("amount"), count(*) FROM "ledger_entries" GROUP BY "merchant_id", "currency";
