-- CreateTable
CREATE TABLE "events" (
    "sequence" BIGSERIAL NOT NULL,
    "id" TEXT NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),
    "published_at" TIMESTAMPTZ(3),
    "publish_duplicate" BOOLEAN NOT NULL DEFAULT false,
    "relay_lease_until" TIMESTAMPTZ(3),

    CONSTRAINT "events_pkey" PRIMARY KEY ("sequence")
);

-- CreateTable
CREATE TABLE "consumer_inbox" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_inbox_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "consumer_state" (
    "consumer" TEXT NOT NULL,
    "watermark" BIGINT NOT NULL DEFAULT 0,
    "safe_sequence" BIGINT NOT NULL DEFAULT 0,
    "applied" BIGINT NOT NULL DEFAULT 0,
    "duplicates" BIGINT NOT NULL DEFAULT 0,
    "applied_at" TIMESTAMPTZ(3),
    "lease_owner" TEXT,
    "lease_until" TIMESTAMPTZ(3),

    CONSTRAINT "consumer_state_pkey" PRIMARY KEY ("consumer")
);

-- CreateTable
CREATE TABLE "receipt_documents" (
    "sha256" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "receipt_documents_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "receipts" (
    "payment_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "receipts_pkey" PRIMARY KEY ("payment_id","version")
);

-- CreateTable
CREATE TABLE "revenue_versions" (
    "version" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "swapped_at" TIMESTAMPTZ(3),

    CONSTRAINT "revenue_versions_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "revenue_daily" (
    "version" INTEGER NOT NULL,
    "merchant_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "gross" BIGINT NOT NULL DEFAULT 0,
    "refunds" BIGINT NOT NULL DEFAULT 0,
    "disputes" BIGINT NOT NULL DEFAULT 0,
    "net" BIGINT NOT NULL DEFAULT 0,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "revenue_daily_pkey" PRIMARY KEY ("version","merchant_id","currency","day")
);

-- CreateIndex
CREATE UNIQUE INDEX "events_id_key" ON "events"("id");

-- CreateIndex
CREATE INDEX "events_merchant_id_sequence_idx" ON "events"("merchant_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "events_type_subject_id_key" ON "events"("type", "subject_id");

-- CreateIndex
CREATE INDEX "consumer_inbox_consumer_sequence_idx" ON "consumer_inbox"("consumer", "sequence");

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_merchant_id_fkey" FOREIGN KEY ("merchant_id") REFERENCES "merchants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- The relay's work queue: only what waits to be published (not in Prisma's schema language).
CREATE INDEX "events_unpublished_idx" ON "events"("sequence") WHERE "published_at" IS NULL;

-- The revenue projection starts with an empty live version; `npm run projections:rebuild` makes the next.
INSERT INTO "revenue_versions" ("version", "state", "swapped_at") VALUES (1, 'live', CURRENT_TIMESTAMP);
