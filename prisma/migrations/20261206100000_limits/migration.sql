-- CreateTable
CREATE TABLE "rate_limits" (
    "key" VARCHAR(255) NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);

-- A merchant's keys in flight, counted by the claim itself (MERCHANT_MAX_IN_FLIGHT): only the
-- records in progress are indexed, a handful, whatever the table's size.
CREATE INDEX "idempotency_records_in_flight_idx" ON "idempotency_records" ("scope") WHERE "state" = 'in_progress';
