import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaSql } from "@oncepay/idempotency/postgres";
import { createScratchDatabase, type ScratchDatabase } from "../../../support/scratch-db";

// The app's migrations create idempotency_records themselves; the package ships its own DDL for
// everyone else. Both must describe one table, or the store would run here on something its own
// tests never saw.
const COLUMNS = `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
                  WHERE table_name = 'idempotency_records' ORDER BY column_name`;
const INDEXES = `SELECT indexname, regexp_replace(indexdef, '"', '', 'g') AS def FROM pg_indexes
                  WHERE tablename = 'idempotency_records' ORDER BY indexname`;

async function describeTable(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return { columns: (await client.query(COLUMNS)).rows, indexes: (await client.query(INDEXES)).rows };
  } finally {
    await client.end();
  }
}

describe("idempotency_records: the app's migrations and the package's schemaSql", () => {
  let migrated: ScratchDatabase;
  let fromPackage: ScratchDatabase;
  beforeAll(async () => {
    migrated = await createScratchDatabase();
    fromPackage = await createScratchDatabase();
    // The second starts from the app's tables without this one, then runs the package's DDL alone.
    const client = new pg.Client({ connectionString: fromPackage.url });
    await client.connect();
    try {
      await client.query("DROP TABLE idempotency_records CASCADE");
      await client.query(schemaSql);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await migrated?.drop();
    await fromPackage?.drop();
  });

  it("have the same columns, types, defaults and indexes", async () => {
    const app = await describeTable(migrated.url);
    const pkg = await describeTable(fromPackage.url);
    expect(app.columns.length).toBeGreaterThan(15);
    expect(pkg.columns).toEqual(app.columns);
    expect(pkg.indexes).toEqual(app.indexes);
  });
});
