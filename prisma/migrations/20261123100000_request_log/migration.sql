-- CreateTable
CREATE TABLE "request_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "merchant_id" TEXT,
    "operation" TEXT NOT NULL,
    "idempotency_key" TEXT,
    "outcome" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "latency_ms" REAL NOT NULL,
    "amount" INTEGER,
    "currency" TEXT,

    CONSTRAINT "request_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "request_log_at_idx" ON "request_log"("at");

-- CreateIndex
CREATE INDEX "request_log_merchant_id_operation_idempotency_key_at_idx" ON "request_log"("merchant_id", "operation", "idempotency_key", "at");

