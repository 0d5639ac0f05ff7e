import { PrismaPg } from "@prisma/adapter-pg";
import { env } from "../env";
import { logger } from "../observability/logger";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase } from "./embedded";
import { Prisma, PrismaClient } from "./generated/client";
import { migrate } from "./migrate";
import { seedMerchants } from "./seed";

export type { PrismaClient };
export type Tx = Prisma.TransactionClient;

export interface Database {
  prisma: PrismaClient;
  embedded: boolean;
  close(): Promise<void>;
}

// On globalThis so that dev-mode module reloads share one client (and one embedded database).
const holder = globalThis as typeof globalThis & { __oncepayDatabase?: Promise<Database> };

/** The process's one database, opened on first use: nothing connects at import or build time. */
export function database(): Promise<Database> {
  if (!holder.__oncepayDatabase) {
    holder.__oncepayDatabase = open().catch((error: unknown) => {
      // Do not cache the failure: the next request tries again (the database may come back).
      holder.__oncepayDatabase = undefined;
      throw error;
    });
  }
  return holder.__oncepayDatabase;
}

export async function prisma(): Promise<PrismaClient> {
  return (await database()).prisma;
}

async function open(): Promise<Database> {
  if (env.DATABASE_URL) {
    const prisma = createClient(env.DATABASE_URL, env.DATABASE_POOL_SIZE ?? 10);
    await seedMerchants(prisma, env.merchants);
    return { prisma, embedded: false, close: () => prisma.$disconnect() };
  }
  const embedded = await startEmbeddedDatabase(env.ONCEPAY_DATA_DIR);
  const report = await migrate(embedded.connectionString);
  if (report.applied.length) logger.info({ applied: report.applied }, "embedded database migrated");
  const prisma = createClient(embedded.connectionString, EMBEDDED_POOL_SIZE);
  await seedMerchants(prisma, env.merchants);
  logger.info({ dataDir: env.ONCEPAY_DATA_DIR }, "embedded PostgreSQL (PGlite) ready");
  return {
    prisma,
    embedded: true,
    async close() {
      await prisma.$disconnect();
      await embedded.stop();
    },
  };
}

export function createClient(connectionString: string, max: number): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max }) });
}
