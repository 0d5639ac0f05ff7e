-- "attempts" meant executions here; requests seen live in request_log. Renamed by hand: `migrate
-- diff` would drop and re-add the column, losing its values.
ALTER TABLE "idempotency_records" RENAME COLUMN "attempts" TO "executions";
