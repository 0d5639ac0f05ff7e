-- The cleanup finds inbox rows past retention from the oldest applied first, and stops at the first
-- younger one: without this index it read a consumer's whole inbox on every run while none was old
-- enough (74 ms per inbox at 100 000 rows, about 8 hours to clear a million expired records).
CREATE INDEX "consumer_inbox_consumer_applied_at_idx" ON "consumer_inbox"("consumer", "applied_at");
