import { PGlite } from "@electric-sql/pglite";
import { PostgresStore, pgliteSql, schemaSql } from "@oncepay/idempotency/pglite";
import { statement } from "@oncepay/idempotency/postgres";
import { describeStoreConformance } from "@oncepay/idempotency/testing";

const INSERT_TRACE = statement("test_trace", "INSERT INTO traces (marker) VALUES ($1)");
const COUNT_TRACES = statement("test_traces", "SELECT count(*)::int AS n FROM traces WHERE marker = $1");

/** An in-process PGlite (in memory) through `pgliteSql`, set up with `schemaSql` alone. */
describeStoreConformance("PostgresStore on PGlite in process (pgliteSql)", async () => {
  const db = new PGlite();
  await db.exec(schemaSql);
  await db.exec("CREATE TABLE traces (marker text NOT NULL)");
  const sql = pgliteSql(db);
  return {
    store: new PostgresStore(sql),
    effect: async (tx, marker) => void (await tx.count(INSERT_TRACE, [marker])),
    traces: async (marker) => (await sql.rows<{ n: number }>(COUNT_TRACES, [marker]))[0]?.n ?? 0,
    clock: "real",
    close: () => db.close(),
  };
});
