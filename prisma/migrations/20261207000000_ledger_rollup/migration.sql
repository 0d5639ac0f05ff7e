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

-- The event path's totals for the dashboard (events.summary), kept the same way: the outbox is
-- never deleted from, so counting it was a scan of every event ever produced on every poll.
-- CreateTable
CREATE TABLE "event_totals" (
    "stripe" SMALLINT NOT NULL,
    "produced" BIGINT NOT NULL DEFAULT 0,
    "published" BIGINT NOT NULL DEFAULT 0,
    "duplicates" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "event_totals_pkey" PRIMARY KEY ("stripe")
);

-- Statement triggers with transition tables: the relay marks a batch of events published in one
-- UPDATE, which moves one stripe once, not once per event.
CREATE FUNCTION "event_totals_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  produced BIGINT := 0;
  published BIGINT := 0;
  duplicates BIGINT := 0;
  n BIGINT;
  p BIGINT;
  d BIGINT;
BEGIN
  IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
    SELECT count(*), count(*) FILTER (WHERE published_at IS NOT NULL), count(*) FILTER (WHERE publish_duplicate) INTO n, p, d FROM new_rows;
    produced := produced + n; published := published + p; duplicates := duplicates + d;
  END IF;
  IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
    SELECT count(*), count(*) FILTER (WHERE published_at IS NOT NULL), count(*) FILTER (WHERE publish_duplicate) INTO n, p, d FROM old_rows;
    produced := produced - n; published := published - p; duplicates := duplicates - d;
  END IF;
  IF produced <> 0 OR published <> 0 OR duplicates <> 0 THEN
    INSERT INTO event_totals AS t (stripe, produced, published, duplicates)
    VALUES ((txid_current() % 8)::smallint, produced, published, duplicates)
    ON CONFLICT (stripe) DO UPDATE
      SET produced = t.produced + EXCLUDED.produced, published = t.published + EXCLUDED.published, duplicates = t.duplicates + EXCLUDED.duplicates;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION "event_totals_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_totals;
  RETURN NULL;
END
$$;

CREATE TRIGGER "events_totals_insert" AFTER INSERT ON "events" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "event_totals_apply"();
CREATE TRIGGER "events_totals_update" AFTER UPDATE ON "events" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "event_totals_apply"();
CREATE TRIGGER "events_totals_delete" AFTER DELETE ON "events" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "event_totals_apply"();
CREATE TRIGGER "events_totals_truncate" AFTER TRUNCATE ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION "event_totals_truncate"();

LOCK TABLE "events" IN SHARE MODE;
INSERT INTO "event_totals" ("stripe", "produced", "published", "duplicates")
SELECT 0, count(*), count(*) FILTER (WHERE "published_at" IS NOT NULL), count(*) FILTER (WHERE "publish_duplicate") FROM "events";

-- The Provider panel's webhook requests: only the webhooks' rows of the request log are indexed.
CREATE INDEX "request_log_webhook_at_idx" ON "request_log" ("at") WHERE "via" = 'webhook';

-- The key list with a merchant: that merchant's latest requests, whatever the others send.
CREATE INDEX "request_log_merchant_id_at_idx" ON "request_log" ("merchant_id", "at");

-- The Provider panel's refunds of the window: only the succeeded ones are indexed, by time.
CREATE INDEX "refunds_succeeded_created_at_idx" ON "refunds" ("created_at") WHERE "status" = 'succeeded';

-- The dashboard's request counts and latencies over a window (summary, timeseries), kept per chart
-- bucket width (10 s, 60 s, 900 s: the 5m, 1h and 24h windows' buckets) by a statement trigger on
-- the request log's batched inserts, so a 24 h window reads about a hundred buckets instead of every
-- request of the day. Latencies as a histogram of 76 bins, four per doubling from 0.125 ms.
-- CreateTable
CREATE TABLE "request_totals" (
    "width" INTEGER NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "protected" BIGINT NOT NULL DEFAULT 0,
    "latency" INTEGER[] NOT NULL DEFAULT '{}',

    CONSTRAINT "request_totals_pkey" PRIMARY KEY ("width", "bucket", "via", "merchant_id", "outcome", "currency")
);

CREATE FUNCTION "request_latency_bin"(ms REAL) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
  SELECT least(75, greatest(0, floor(4 * ln(greatest(ms, 0.125)::float8) / ln(2::float8))::int + 12))
$$;

CREATE FUNCTION "request_histogram_add"(a INTEGER[], b INTEGER[]) RETURNS INTEGER[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(a) = 0 THEN b WHEN cardinality(b) = 0 THEN a
              ELSE (SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, i)) END
$$;

CREATE FUNCTION "request_totals_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH rows AS (
    SELECT w.width, date_bin(w.width * interval '1 second', f.at, 'epoch'::timestamptz) AS bucket,
           CASE coalesce(f.via, 'rest') WHEN 'webhook' THEN 'webhook' WHEN 'consumer' THEN 'consumer' ELSE 'merchant' END AS via,
           coalesce(f.merchant_id, '') AS merchant_id, f.outcome,
           CASE WHEN f.outcome = 'replayed' AND f.status < 300 AND f.amount IS NOT NULL THEN coalesce(f.currency, '') ELSE '' END AS currency,
           CASE WHEN f.outcome = 'replayed' AND f.status < 300 AND f.amount IS NOT NULL THEN f.amount ELSE 0 END AS protected,
           request_latency_bin(f.latency_ms) AS bin
      FROM fresh f CROSS JOIN (VALUES (10), (60), (900)) AS w(width)
  ), bins AS (
    SELECT width, bucket, via, merchant_id, outcome, currency, bin, count(*) AS requests, sum(protected) AS protected
      FROM rows GROUP BY 1, 2, 3, 4, 5, 6, 7
  ), keys AS (
    SELECT width, bucket, via, merchant_id, outcome, currency, sum(requests) AS requests, sum(protected) AS protected,
           array_agg(bin) AS bins, array_agg(requests) AS counts
      FROM bins GROUP BY 1, 2, 3, 4, 5, 6
  )
  INSERT INTO request_totals AS t (width, bucket, via, merchant_id, outcome, currency, requests, protected, latency)
  SELECT width, bucket, via, merchant_id, outcome, currency, requests, protected,
         CASE WHEN outcome IN ('executed', 'replayed')
              THEN (SELECT array_agg(coalesce(counts[array_position(bins, g)], 0)::int ORDER BY g) FROM generate_series(0, 75) g) ELSE '{}' END
    FROM keys
   -- One order for every writer: two instances' batches never lock the same rows in opposite orders.
   ORDER BY width, bucket, via, merchant_id, outcome, currency
  ON CONFLICT (width, bucket, via, merchant_id, outcome, currency) DO UPDATE
    SET requests = t.requests + EXCLUDED.requests, protected = t.protected + EXCLUDED.protected,
        latency = request_histogram_add(t.latency, EXCLUDED.latency);
  RETURN NULL;
END
$$;

CREATE TRIGGER "request_log_totals" AFTER INSERT ON "request_log" REFERENCING NEW TABLE AS fresh
  FOR EACH STATEMENT EXECUTE FUNCTION "request_totals_apply"();

-- The request log of the last day, as if its rows had just been inserted (older rows are past
-- every window the dashboard shows).
LOCK TABLE "request_log" IN SHARE MODE;
  WITH fresh AS (SELECT * FROM "request_log" WHERE "at" > now() - interval '25 hours'), rows AS (
    SELECT w.width, date_bin(w.width * interval '1 second', f.at, 'epoch'::timestamptz) AS bucket,
           CASE coalesce(f.via, 'rest') WHEN 'webhook' THEN 'webhook' WHEN 'consumer' THEN 'consumer' ELSE 'merchant' END AS via,
           coalesce(f.merchant_id, '') AS merchant_id, f.outcome,
           CASE WHEN f.outcome = 'replayed' AND f.status < 300 AND f.amount IS NOT NULL THEN coalesce(f.currency, '') ELSE '' END AS currency,
           CASE WHEN f.outcome = 'replayed' AND f.status < 300 AND f.amount IS NOT NULL THEN f.amount ELSE 0 END AS protected,
           request_latency_bin(f.latency_ms) AS bin
      FROM fresh f CROSS JOIN (VALUES (10), (60), (900)) AS w(width)
  ), bins AS (
    SELECT width, bucket, via, merchant_id, outcome, currency, bin, count(*) AS requests, sum(protected) AS protected
      FROM rows GROUP BY 1, 2, 3, 4, 5, 6, 7
  ), keys AS (
    SELECT width, bucket, via, merchant_id, outcome, currency, sum(requests) AS requests, sum(protected) AS protected,
           array_agg(bin) AS bins, array_agg(requests) AS counts
      FROM bins GROUP BY 1, 2, 3, 4, 5, 6
  )
  INSERT INTO request_totals AS t (width, bucket, via, merchant_id, outcome, currency, requests, protected, latency)
  SELECT width, bucket, via, merchant_id, outcome, currency, requests, protected,
         CASE WHEN outcome IN ('executed', 'replayed')
              THEN (SELECT array_agg(coalesce(counts[array_position(bins, g)], 0)::int ORDER BY g) FROM generate_series(0, 75) g) ELSE '{}' END
    FROM keys
   -- One order for every writer: two instances' batches never lock the same rows in opposite orders.
   ORDER BY width, bucket, via, merchant_id, outcome, currency
  ON CONFLICT (width, bucket, via, merchant_id, outcome, currency) DO UPDATE
    SET requests = t.requests + EXCLUDED.requests, protected = t.protected + EXCLUDED.protected,
        latency = request_histogram_add(t.latency, EXCLUDED.latency);
