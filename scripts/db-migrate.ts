/** `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, or to the embedded database. */
import { startEmbeddedDatabase } from "../server/db/embedded";
import { migrate } from "../server/db/migrate";
import { connect } from "../server/db/client";
import { seedMerchants } from "../server/db/seed";
import { env } from "../server/env";

async function main() {
  const embedded = env.DATABASE_URL ? null : await startEmbeddedDatabase(env.ONCEPAY_DATA_DIR);
  const url = env.DATABASE_URL ?? embedded!.connectionString;
  try {
    const report = await migrate(url);
    const db = connect(url, 1, false);
    await seedMerchants(db.sql, env.merchants);
    await db.pool.end();
    console.log(
      `${embedded ? `embedded database (${env.ONCEPAY_DATA_DIR})` : "DATABASE_URL"}: ` +
        `${report.applied.length} migration(s) applied${report.applied.length ? ` (${report.applied.join(", ")})` : ""}, ` +
        `${report.alreadyApplied.length} already applied; merchants seeded`,
    );
  } finally {
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
