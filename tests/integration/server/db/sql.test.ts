import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "@/server/db/errors";
import { SqlPool, statement } from "@/server/db/sql";
import { sleep } from "@/fixtures";
import { createScratchCluster, type ScratchCluster } from "@/fixtures/scratch-cluster";

const SLEEP = statement("sql_outage_sleep", "SELECT pg_sleep(0.002)");
const BACKEND = statement("sql_outage_backend", "SELECT pg_backend_pid() AS pid");

// The database layer alone, on a cluster of its own that may be killed at will: what a dying
// connection looks like to its callers, and that it never becomes an uncaught exception.
describe("Sql and SqlPool when connections die", () => {
  let cluster: ScratchCluster;
  let pool: pg.Pool;
  let sql: SqlPool;
  const escaped: unknown[] = [];
  const onUncaught = (error: unknown) => void escaped.push(error);

  beforeAll(async () => {
    cluster = await createScratchCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });
  beforeEach(() => {
    escaped.length = 0;
    process.on("uncaughtException", onUncaught);
    pool = new pg.Pool({ connectionString: cluster.url, max: 10, connectionTimeoutMillis: 5_000 });
    pool.on("error", () => undefined); // idle connections dying is the pool's business, as in the app
    sql = new SqlPool(pool, true);
  });
  afterEach(async () => {
    process.off("uncaughtException", onUncaught);
    await pool.end();
  });

  async function terminate(pid: number): Promise<void> {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    } finally {
      await admin.end();
    }
  }

  it("a connection killed between two statements of a transaction: DatabaseUnavailableError, the connection dropped", async () => {
    let pid = 0;
    const failure = await sql
      .transaction(async (tx) => {
        [{ pid }] = (await tx.rows<{ pid: number }>(BACKEND)) as [{ pid: number }];
        await terminate(pid);
        // Give the FATAL time to arrive while nothing is reading for us.
        await sleep(200);
        return tx.rows(BACKEND);
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect(escaped).toEqual([]);
    const [after] = await sql.rows<{ pid: number }>(BACKEND);
    expect(after!.pid).not.toBe(pid);
  });

  it("passes the caller's own errors and non-outage server errors through unchanged", async () => {
    const mine = new Error("the caller's own");
    await expect(sql.transaction(async () => Promise.reject(mine))).rejects.toBe(mine);
    const violation = await sql.transaction((tx) => tx.rows(statement("sql_outage_bad_cast", "SELECT 'x'::int"))).catch((e: unknown) => e);
    expect(violation).toBeInstanceOf(pg.DatabaseError);
    expect((violation as pg.DatabaseError).code).toBe("22P02");
  });

  it("restarted under load with a busy event loop: nothing escapes, every failure is an outage, service resumes", async () => {
    // A busy loop makes reads coalesce, as on a loaded server: a FATAL can then arrive in the
    // same read as the ReadyForQuery before it, while the pool hands the connection over.
    const busy = setInterval(() => {
      const until = Date.now() + 30;
      while (Date.now() < until);
    }, 35);
    let running = true;
    let ok = 0;
    const others: unknown[] = [];
    const workers = Array.from({ length: 30 }, async () => {
      while (running) {
        try {
          await sql.rows(SLEEP);
          await sql.transaction(async (tx) => {
            await tx.rows(SLEEP);
            await tx.rows(SLEEP);
          });
          ok++;
        } catch (error) {
          if (!(error instanceof DatabaseUnavailableError)) others.push(error);
          await sleep(5);
        }
      }
    });
    try {
      for (let i = 0; i < 6; i++) {
        const before = ok;
        const deadline = Date.now() + 20_000;
        while (ok < before + 20 && Date.now() < deadline) await sleep(50);
        await cluster.restart();
      }
    } finally {
      running = false;
      await Promise.all(workers);
      clearInterval(busy);
    }
    expect(escaped).toEqual([]);
    expect(others).toEqual([]);
    await expect(sql.transaction((tx) => tx.rows(BACKEND))).resolves.toHaveLength(1);
  }, 120_000);
});
