import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newKey, sleep } from "@/fixtures";
import { connect } from "@/server/db/client";
import { EMBEDDED_POOL_SIZE, startEmbeddedDatabase, type EmbeddedDatabase } from "@/server/db/embedded";
import { DatabaseUnavailableError, TransactionDeadlineError } from "@/server/db/errors";
import { statement } from "@/server/db/sql";
import { apiClient } from "@/tests/support/api";
import { startServer, type ServerProcess } from "@/fixtures/server-process";

describe("the embedded database", () => {
  // Stopped here rather than in the test, so a test that times out leaves no server behind.
  const started: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });

  // Two cold starts of PGlite (WebAssembly) on a shared 2-core machine take most of a minute.
  it("the embedded database keeps payments and replays across a restart", { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "oncepay-restart-"));
    const key = newKey();
    const first = await startServer({ dataDir });
    started.push(first);
    const created = await apiClient(first.url).pay({ amount: 999, currency: "eur" }, { key });
    await first.stop();
    const second = await startServer({ dataDir });
    started.push(second);
    const again = await apiClient(second.url).pay({ amount: 999, currency: "eur" }, { key });
    expect(again.text).toBe(created.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});

const PROBE = statement("embedded_probe_create", "CREATE TABLE IF NOT EXISTS embedded_probe (id int)");
const INSERT = statement("embedded_probe_insert", "INSERT INTO embedded_probe VALUES ($1::int)");
const WRITTEN = statement("embedded_probe_count", "SELECT count(*)::int AS n FROM embedded_probe WHERE id = $1::int");
const ONE = statement("embedded_one", "SELECT 1 AS one");
const PAUSE = statement("embedded_pause", "SELECT pg_sleep($1::float8)");

// PGlite runs in this process, one backend behind one connection: what the bounds can and cannot do there.
describe("the embedded database's bounds", () => {
  const BOUNDS = { connectMs: 300, statementMs: 300, transactionMs: 1_000 };
  /** What a timer may run late on a loaded 2-core machine. */
  const SLACK_MS = 400;
  let embedded: EmbeddedDatabase;
  let db: ReturnType<typeof connect>;

  beforeAll(async () => {
    embedded = await startEmbeddedDatabase(mkdtempSync(path.join(tmpdir(), "oncepay-embedded-bounds-")));
    db = connect(embedded.connectionString, EMBEDDED_POOL_SIZE, false, false, BOUNDS);
    await db.sql.count(PROBE);
  }, 120_000);
  afterAll(async () => {
    await db?.pool.end();
    await embedded?.stop();
  });

  async function timed(work: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    const started = performance.now();
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    return { error, ms: performance.now() - started };
  }

  it("a transaction that goes quiet: others wait for the one connection only the connect bound; at its deadline it is rolled back", async () => {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const stuck = timed(
      db.sql.transaction(async (tx) => {
        await tx.count(INSERT, [1]);
        inside();
        await sleep(5_000);
      }),
    );
    await entered;
    const waiting = await timed(db.sql.rows(ONE));
    expect(waiting.error).toBeInstanceOf(DatabaseUnavailableError);
    expect(waiting.ms).toBeLessThan(BOUNDS.connectMs + SLACK_MS);
    const { error, ms } = await stuck;
    expect((error as Error).cause).toBeInstanceOf(TransactionDeadlineError);
    expect(ms).toBeLessThan(BOUNDS.transactionMs + SLACK_MS);
    // pglite-socket rolls back the transaction of a connection that closes; the next caller gets a new one.
    expect(await db.sql.rows(WRITTEN, [1])).toEqual([{ n: 0 }]);
  });

  it("what no bound can do there: a long statement runs to its end, and the whole process waits with it", async () => {
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 10);
    try {
      const { ms } = await timed(db.sql.rows(PAUSE, [1]));
      // statement_timeout is accepted and never enforced (no timers in WebAssembly), and the
      // client's own timer cannot fire while PGlite holds the event loop.
      expect(ms).toBeGreaterThanOrEqual(1_000);
      expect(ticks).toBeLessThan(10);
    } finally {
      clearInterval(ticking);
    }
    await expect(db.sql.rows(ONE)).resolves.toEqual([{ one: 1 }]);
  });
});
