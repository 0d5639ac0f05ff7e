-- AlterTable
ALTER TABLE "payments" ADD COLUMN     "provider_refunded" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "webhook_events" ADD COLUMN     "awaiting" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "intent" TEXT,
ADD COLUMN     "object" JSONB;

-- AlterTable
ALTER TABLE "idempotency_records" ADD COLUMN     "awaited" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "consumer_state" DROP COLUMN "lease_owner",
DROP COLUMN "lease_until";

-- CreateTable
CREATE TABLE "jobs" (
    "name" TEXT NOT NULL,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),
    "runs" BIGINT NOT NULL DEFAULT 0,
    "failures" BIGINT NOT NULL DEFAULT 0,
    "last_finished_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "totals" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("name")
);


-- What the provider is known to have refunded so far: the refunds that succeeded.
UPDATE "payments" p SET "provider_refunded" = r.total
  FROM (SELECT "payment_id", sum("amount")::int AS total FROM "refunds" WHERE "status" = 'succeeded' GROUP BY "payment_id") r
 WHERE r."payment_id" = p."id";

-- The reaper's sweeps: only what is still unsettled, oldest first.
CREATE INDEX "payments_processing_idx" ON "payments" ("created_at") WHERE "status" = 'processing';
CREATE INDEX "refunds_pending_idx" ON "refunds" ("created_at") WHERE "status" = 'pending';

-- Events waiting for their payment to settle, found by the PaymentIntent the settlement records.
CREATE INDEX "webhook_events_awaiting_idx" ON "webhook_events" ("intent") WHERE "awaiting";

-- A refunded total the provider reports beyond the amount paid is recorded, never counted.
ALTER TABLE "payments" ADD CONSTRAINT "payments_provider_refunded_within_amount" CHECK ("provider_refunded" >= 0 AND "provider_refunded" <= "amount");
