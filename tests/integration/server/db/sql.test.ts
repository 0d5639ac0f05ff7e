import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { STATEMENT_MARGIN_MS } from "@/server/db/bounds";
import { connect } from "@/server/db/client";
import { DatabaseUnavailableError, TransactionDeadlineError } from "@/server/db/errors";
import { SqlPool, statement } from "@/server/db/sql";
import { poll, sleep } from "@/fixtures";
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

const PROBE = statement("deadline_probe_create", "CREATE TABLE IF NOT EXISTS deadline_probe (id int)");
const INSERT = statement("deadline_probe_insert", "INSERT INTO deadline_probe VALUES ($1::int)");
const WRITTEN = statement("deadline_probe_count", "SELECT count(*)::int AS n FROM deadline_probe WHERE id = $1::int");
const ONE = statement("deadline_one", "SELECT 1 AS one");
const PAUSE = statement("deadline_pause", "SELECT pg_sleep($1::float8)");
/** Transactions open on the server other than the asker's own. */
const OPEN = statement(
  "deadline_open_transactions",
  "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
);

// The bound the outbox's safe point relies on: whatever the database or the caller does, no
// transaction of ours is open past its deadline, on our side or (once it can hear us) the server's.
describe("SqlPool.transaction's deadline", () => {
  const DEADLINE_MS = 500;
  /** What a timer may run late on a loaded 2-core machine. */
  const SLACK_MS = 400;
  let cluster: ScratchCluster;
  let db: ReturnType<typeof connect>;

  beforeAll(async () => {
    cluster = await createScratchCluster();
    // A long statement bound, so that only the transaction's deadline is at work.
    db = connect(cluster.url, 4, true, true, { connectMs: 1_000, statementMs: 10_000, transactionMs: DEADLINE_MS });
    await db.sql.count(PROBE);
  });
  afterAll(async () => {
    cluster?.thaw();
    await db?.pool.end();
    await cluster?.destroy();
  });

  async function timed(work: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    const started = performance.now();
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    return { error, ms: performance.now() - started };
  }

  async function written(id: number): Promise<number> {
    return (await db.sql.rows<{ n: number }>(WRITTEN, [id]))[0]!.n;
  }

  async function noneOpen(): Promise<void> {
    await poll(async () => (await db.sql.rows<{ n: number }>(OPEN))[0]!.n === 0, { timeoutMs: 5_000, message: "a transaction still open on the server" });
  }

  function expectDeadline({ error, ms }: { error: unknown; ms: number }): void {
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).cause).toBeInstanceOf(TransactionDeadlineError);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  }

  it("a caller that goes quiet inside its transaction: ended at the deadline, rolled back, and nothing it sends later runs", async () => {
    let late: unknown;
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const outcome = await timed(
      db.sql.transaction(async (tx) => {
        await tx.count(INSERT, [1]);
        await sleep(DEADLINE_MS + 500);
        // Past the deadline: this must not reach the server.
        await tx.count(INSERT, [2]).catch((e: unknown) => (late = e));
        resume();
      }),
    );
    expectDeadline(outcome);
    await resumed;
    expect(late).toBeInstanceOf(DatabaseUnavailableError);
    await noneOpen();
    expect([await written(1), await written(2)]).toEqual([0, 0]);
  });

  it("a statement still running at the deadline: cut off with its connection, and the server rolls back", async () => {
    expectDeadline(
      await timed(
        db.sql.transaction(async (tx) => {
          await tx.count(INSERT, [3]);
          await tx.rows(PAUSE, [1.5]);
        }),
      ),
    );
    // The server notices the closed connection once its statement ends (statement_timeout bounds that).
    await noneOpen();
    expect(await written(3)).toBe(0);
  });

  it("on a frozen server: the deadline holds, and what the transaction wrote is gone once the server wakes", async () => {
    let outcome: { error: unknown; ms: number };
    try {
      outcome = await timed(
        db.sql.transaction(async (tx) => {
          await tx.count(INSERT, [4]);
          cluster.freeze();
          await tx.rows(ONE);
        }),
      );
    } finally {
      cluster.thaw();
    }
    expectDeadline(outcome);
    await noneOpen();
    expect(await written(4)).toBe(0);
    await expect(db.sql.transaction((tx) => tx.rows(ONE))).resolves.toEqual([{ one: 1 }]);
  });

  it("a statement that timed out is not followed by a ROLLBACK waited for on its dead connection", async () => {
    const statementMs = 300;
    const wait = statementMs + STATEMENT_MARGIN_MS;
    const own = connect(cluster.url, 2, true, true, { connectMs: 1_000, statementMs, transactionMs: 10_000 });
    try {
      await own.sql.rows(ONE); // one idle connection, to the server about to freeze
      let outcome: { error: unknown; ms: number };
      cluster.freeze();
      try {
        outcome = await timed(own.sql.transaction((tx) => tx.rows(ONE)));
      } finally {
        cluster.thaw();
      }
      expect(outcome.error).toBeInstanceOf(DatabaseUnavailableError);
      expect((outcome.error as Error).cause).not.toBeInstanceOf(TransactionDeadlineError);
      // One statement's wait (the BEGIN's), not two: a ROLLBACK would have waited as long again.
      expect(outcome.ms).toBeGreaterThanOrEqual(wait - 5);
      expect(outcome.ms).toBeLessThan(wait + SLACK_MS);
      // The connection was dropped, not handed back: the next caller gets a new one that works.
      expect(own.pool.totalCount).toBe(0);
      await expect(own.sql.transaction((tx) => tx.rows(ONE))).resolves.toEqual([{ one: 1 }]);
    } finally {
      await own.pool.end();
    }
  });
});
