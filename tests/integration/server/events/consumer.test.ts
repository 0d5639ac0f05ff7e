import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CallObservation, CallPipeline, IdempotencyEngine } from "@oncepay/idempotency";
import { SqlPool, type Sql } from "@/server/db/sql";
import { ConsumeError, consumeAll, type Consumer } from "@/server/events/consumer";
import { PostgresStore } from "@oncepay/idempotency/postgres";
import { createScratchDatabase, type ScratchDatabase } from "../../../support/scratch-db";
import { testEvent } from "../../../support/outbox-events";

// consumeAll against real PostgreSQL, with a consumer of the test's own: a batch in one
// transaction, copies dropped by the inbox, and one event whose apply throws failing alone.
let database: ScratchDatabase;
let pool: pg.Pool;
let sql: SqlPool;
let observed: CallObservation[];
let calls: CallPipeline<Sql>;

const event = testEvent;

/** Writes one row per event it applies; throws for the events named poison. */
function consumer(poison: Set<string> = new Set()): Consumer {
  return {
    name: "effects",
    async apply(tx, e) {
      if (poison.has(e.id)) throw new Error(`poison ${e.id}`);
      await tx.count({ name: "test_effect", text: "INSERT INTO test_effects (event_id) VALUES ($1)" }, [e.id]);
    },
  };
}

async function rows(text: string): Promise<Record<string, unknown>[]> {
  return (await pool.query(text)).rows;
}

beforeAll(async () => {
  database = await createScratchDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  sql = new SqlPool(pool, true);
  // Unique: an event applied twice would fail the test here, not only in the counts.
  await pool.query("CREATE TABLE test_effects (event_id text PRIMARY KEY)");
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

beforeEach(async () => {
  await pool.query("TRUNCATE test_effects, consumer_inbox, consumer_state");
  observed = [];
  calls = new CallPipeline(new IdempotencyEngine(new PostgresStore(sql), { ttlSeconds: 3600, lockTimeoutSeconds: 30 }), { observe: (o) => observed.push(o) });
});

describe("consumeAll", () => {
  it("applies a batch once, drops copies inside it and in a later batch, and counts both", async () => {
    const batch = [event(1), event(2), event(1), event(3)];
    expect(await consumeAll(calls, sql, consumer(), batch)).toEqual(["applied", "applied", "duplicate", "applied"]);
    expect(await consumeAll(calls, sql, consumer(), [event(3), event(4), event(2)])).toEqual(["duplicate", "applied", "duplicate"]);
    expect(await rows("SELECT event_id FROM test_effects ORDER BY event_id")).toEqual(
      ["evt_test1", "evt_test2", "evt_test3", "evt_test4"].map((id) => ({ event_id: id })),
    );
    expect(await rows("SELECT applied::int, duplicates::int, watermark::int FROM consumer_state WHERE consumer = 'effects'")).toEqual([
      { applied: 4, duplicates: 3, watermark: 4 },
    ]);
    // No idempotency record: the inbox decided. Each delivery was still observed once, as a call.
    expect(await rows("SELECT count(*)::int AS n FROM idempotency_records")).toEqual([{ n: 0 }]);
    expect(observed.map((o) => [o.key, o.outcome, o.via])).toEqual([
      ["evt_test1", "executed", "consumer"],
      ["evt_test2", "executed", "consumer"],
      ["evt_test1", "replayed", "consumer"],
      ["evt_test3", "executed", "consumer"],
      ["evt_test3", "replayed", "consumer"],
      ["evt_test4", "executed", "consumer"],
      ["evt_test2", "replayed", "consumer"],
    ]);
  });

  it("fails one event whose apply throws, alone: the others are applied, and it is not in the inbox", async () => {
    const fates = await consumeAll(calls, sql, consumer(new Set(["evt_test2"])), [event(1), event(2), event(3)]);
    expect(fates[0]).toBe("applied");
    expect(fates[1]).toBeInstanceOf(ConsumeError);
    expect(fates[2]).toBe("applied");
    expect(await rows("SELECT event_id FROM consumer_inbox ORDER BY event_id")).toEqual([{ event_id: "evt_test1" }, { event_id: "evt_test3" }]);
    // The failed batch is observed through its pieces: two executions and one failure, nothing twice.
    expect(observed.map((o) => [o.key, o.outcome])).toEqual([
      ["evt_test1", "executed"],
      ["evt_test2", "failed"],
      ["evt_test3", "executed"],
    ]);
    // Delivered again once it applies, it is applied then, once.
    expect(await consumeAll(calls, sql, consumer(), [event(2), event(3)])).toEqual(["applied", "duplicate"]);
    expect(await rows("SELECT count(*)::int AS n FROM test_effects")).toEqual([{ n: 3 }]);
  });

  it("lets one of two batches sharing events apply them, and the other drop them once it commits", async () => {
    const events = Array.from({ length: 50 }, (_, i) => event(i + 1));
    // Overlapping halves, one of them reversed: the inbox takes rows in sequence order either way.
    const [a, b] = await Promise.all([consumeAll(calls, sql, consumer(), events.slice(0, 40)), consumeAll(calls, sql, consumer(), events.slice(10).reverse())]);
    expect([...a, ...b].filter((f) => f instanceof ConsumeError)).toEqual([]);
    expect([...a, ...b].filter((f) => f === "applied")).toHaveLength(50);
    expect(await rows("SELECT count(*)::int AS n FROM test_effects")).toEqual([{ n: 50 }]);
    expect(await rows("SELECT applied::int, duplicates::int FROM consumer_state")).toEqual([{ applied: 50, duplicates: 30 }]);
  });
});
