import { hashApiKey } from "../auth/api-keys";
import type { PrismaClient } from "./generated/client";
import { fromPrisma } from "./prisma-errors";

export interface MerchantSeed {
  id: string;
  name: string;
  apiKey: string;
}

/** Inserts the configured merchants that do not exist yet; safe to run on every start. */
export async function seedMerchants(prisma: PrismaClient, merchants: MerchantSeed[]): Promise<void> {
  await prisma.merchant.createMany({
    data: merchants.map((m) => ({ id: m.id, name: m.name, apiKeyHash: hashApiKey(m.apiKey) })),
    skipDuplicates: true,
  }).catch((error: unknown) => {
    // Seeding runs when the first request opens the database: an outage must read as one there.
    throw fromPrisma(error);
  });
}
