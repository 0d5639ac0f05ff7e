-- Publishable keys (pk_…) for checkouts in a browser; a merchant no longer configured keeps its
-- payments but loses its keys (NULL hashes), so api_key_hash becomes nullable.

-- AlterTable
ALTER TABLE "merchants" ADD COLUMN     "publishable_key_hash" TEXT,
ALTER COLUMN "api_key_hash" DROP NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "merchants_publishable_key_hash_key" ON "merchants"("publishable_key_hash");
