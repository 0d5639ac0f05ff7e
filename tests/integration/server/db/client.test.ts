import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { STATEMENT_MARGIN_MS, type DatabaseBounds } from "@/server/db/bounds";
import { connect } from "@/server/db/client";
import { DatabaseUnavailableError } from "@/server/db/errors";
import { statement } from "@/server/db/sql";
import { createScratchCluster, type ScratchCluster } from "@/fixtures/scratch-cluster";

const ONE = statement("bounds_one", "SELECT 1 AS one");
const BACKEND = statement("bounds_backend", "SELECT pg_backend_pid() AS pid");
const PAUSE = statement("bounds_pause", "SELECT pg_sleep($1::float8)");
const SETTINGS = statement(
  "bounds_settings",
  "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
);

/** What a timer may run late on a loaded 2-core machine. */
const SLACK_MS = 400;
const BOUNDS: DatabaseBounds = { connectMs: 400, statementMs: 300, transactionMs: 1_000 };

// The pools `connect` makes, against a server that accepts connections and answers nothing (SIGSTOP):
// every way the app waits on it (a connection, a statement) gives up in its bound.
describe("connect(): every wait on a hung PostgreSQL is bounded", () => {
  let cluster: ScratchCluster;
  let db: ReturnType<typeof connect>;

  beforeAll(async () => {
    cluster = await createScratchCluster();
  });
  afterAll(async () => {
    cluster?.thaw();
    await cluster?.destroy();
  });
  afterEach(async () => {
    cluster.thaw();
    await db?.pool.end();
  });

  async function frozen(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    cluster.freeze();
    const started = performance.now();
    try {
      const error = await work().then(
        () => null,
        (e: unknown) => e,
      );
      return { error, ms: performance.now() - started };
    } finally {
      cluster.thaw();
    }
  }

  it("the server enforces the statement and idle-transaction bounds too", async () => {
    db = connect(cluster.url, 2, true, true, BOUNDS);
    expect(await db.sql.rows(SETTINGS)).toEqual([{ statement: "300ms", idle: "1s" }]);
  });

  it("a statement on a connection the server stopped answering: DatabaseUnavailableError in its bound, the connection dropped", async () => {
    db = connect(cluster.url, 2, true, true, BOUNDS);
    await db.sql.rows(ONE); // an idle connection, soon to a frozen server
    const { error, ms } = await frozen(() => db.sql.rows(ONE));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(ms).toBeGreaterThanOrEqual(BOUNDS.statementMs + STATEMENT_MARGIN_MS - 5);
    expect(ms).toBeLessThan(BOUNDS.statementMs + STATEMENT_MARGIN_MS + SLACK_MS);
    expect(db.pool.totalCount, "the connection is not handed to the next caller").toBe(0);
    await expect(db.sql.rows(ONE)).resolves.toEqual([{ one: 1 }]);
  });

  it("a new connection to a server that accepts and never answers: DatabaseUnavailableError in the connect bound", async () => {
    db = connect(cluster.url, 2, true, true, BOUNDS);
    const { error, ms } = await frozen(() => db.sql.rows(ONE));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(ms).toBeGreaterThanOrEqual(BOUNDS.connectMs - 5);
    expect(ms).toBeLessThan(BOUNDS.connectMs + SLACK_MS);
    await expect(db.sql.rows(ONE)).resolves.toEqual([{ one: 1 }]);
  });

  it("a slow statement on a live server is cancelled by the server: an outage, and the connection kept", async () => {
    db = connect(cluster.url, 1, true, true, BOUNDS);
    const [{ pid }] = (await db.sql.rows<{ pid: number }>(BACKEND)) as [{ pid: number }];
    const started = performance.now();
    // In a transaction: outside one, pg's pool drops a connection after any failed statement.
    const error = await db.sql.transaction((tx) => tx.rows(PAUSE, [5])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(((error as Error).cause as { code?: string }).code).toBe("57014");
    expect(performance.now() - started).toBeLessThan(BOUNDS.statementMs + STATEMENT_MARGIN_MS);
    expect(await db.sql.rows(BACKEND)).toEqual([{ pid }]);
  });
});
