import pg from "pg";
import { describe, expect, it } from "vitest";
import { PostgresStore, pgSql, schemaSql, statement } from "@oncepay/idempotency/postgres";
import { describeStoreConformance } from "@oncepay/idempotency/testing";
import { scratchDatabase } from "../support/scratch-postgres";

const INSERT_TRACE = statement("test_trace", "INSERT INTO traces (marker) VALUES ($1)");
const COUNT_TRACES = statement("test_traces", "SELECT count(*)::int AS n FROM traces WHERE marker = $1");

/** node-postgres's pool through `pgSql`, on a scratch database set up with `schemaSql` alone. */
async function onPool() {
  const scratch = await scratchDatabase();
  const pool = new pg.Pool({ connectionString: scratch.url, max: 8 });
  await pool.query(schemaSql);
  await pool.query("CREATE TABLE traces (marker text NOT NULL)");
  const sql = pgSql(pool);
  return {
    pool,
    sql,
    store: new PostgresStore(sql),
    effect: async (tx: typeof sql, marker: string) => void (await tx.count(INSERT_TRACE, [marker])),
    traces: async (marker: string) => (await sql.rows<{ n: number }>(COUNT_TRACES, [marker]))[0]?.n ?? 0,
    clock: "real" as const,
    async close() {
      await pool.end();
      await scratch.drop();
    },
  };
}

describeStoreConformance("PostgresStore on pg (pgSql)", onPool);

describe("pgSql", () => {
  it("rolls back a transaction that throws, and gives its connection back", async () => {
    const sut = await onPool();
    try {
      await expect(
        sut.sql.transaction(async (tx) => {
          await tx.count(INSERT_TRACE, ["rolled-back"]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await sut.traces("rolled-back")).toBe(0);
      expect(sut.pool.idleCount + sut.pool.waitingCount).toBe(sut.pool.totalCount);
    } finally {
      await sut.close();
    }
  });

  it("runs the schema twice without harm (IF NOT EXISTS throughout)", async () => {
    const sut = await onPool();
    try {
      await sut.pool.query(schemaSql);
      const { rows } = await sut.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'idempotency_records'");
      expect(rows[0]?.n).toBe(5);
    } finally {
      await sut.close();
    }
  });
});
