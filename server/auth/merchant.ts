import type { PrismaClient } from "../db/generated/client";
import { hashApiKey } from "./api-keys";

export interface Merchant {
  id: string;
  name: string;
}

/** `Authorization: Bearer <api key>` → the merchant, or null for a missing or unknown key. */
export async function authenticate(prisma: PrismaClient, authorization: string | null): Promise<Merchant | null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return null;
  return prisma.merchant.findUnique({
    where: { apiKeyHash: hashApiKey(match[1]!) },
    select: { id: true, name: true },
  });
}
