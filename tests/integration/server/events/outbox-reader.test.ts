import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "@/fixtures";
import { CallPipeline, IdempotencyEngine } from "@oncepay/idempotency";
import { SqlPool, type Sql } from "@/server/db/sql";
import { consumeAll, type Consumer } from "@/server/events/consumer";
import { OutboxReader } from "@/server/events/outbox-reader";
import { PostgresStore } from "@oncepay/idempotency/postgres";
import { createScratchDatabase, type ScratchDatabase } from "../../../support/scratch-db";
import { testEvent } from "../../../support/outbox-events";

// The outbox reader reads on from the last event it handed on; an event whose transaction commits
// after a later one was read (a lower sequence, late) must still be applied, by the next rescan.
let database: ScratchDatabase;
let pool: pg.Pool;
let sql: SqlPool;

const INSERT_EVENT =
  "INSERT INTO events (id, merchant_id, type, subject_id, data) VALUES ($1, 'alice', 'payment.failed', $1, $2::jsonb) RETURNING sequence::int";

beforeAll(async () => {
  database = await createScratchDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  sql = new SqlPool(pool, true);
  await pool.query("INSERT INTO merchants (id, name, api_key_hash) VALUES ('alice', 'Alice', 'unused') ON CONFLICT DO NOTHING");
  await pool.query("CREATE TABLE test_effects (event_id text PRIMARY KEY)");
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe("OutboxReader", () => {
  it("applies an event committed late, below one already read, at the next rescan, and every event once", async () => {
    const calls = new CallPipeline<Sql>(new IdempotencyEngine(new PostgresStore(sql), { ttlSeconds: 3600, lockTimeoutSeconds: 30 }));
    const consumer: Consumer = {
      name: "late",
      async apply(tx, e) {
        await tx.count({ name: "test_late_effect", text: "INSERT INTO test_effects (event_id) VALUES ($1)" }, [e.id]);
      },
    };
    const reader = new OutboxReader(sql, consumer.name, (events) => consumeAll(calls, sql, consumer, events), {
      batch: 100,
      graceSeconds: 60,
      rescanMs: 300,
    });
    const data = JSON.stringify(testEvent(0).data);
    const applied = async () => (await pool.query<{ event_id: string }>("SELECT event_id FROM test_effects ORDER BY event_id")).rows.map((r) => r.event_id);

    // The late one takes its sequence first and stays uncommitted while a later one commits.
    const late = await pool.connect();
    try {
      await late.query("BEGIN");
      const [{ sequence: lateSequence }] = (await late.query<{ sequence: number }>(INSERT_EVENT, ["evt_late", data])).rows as [{ sequence: number }];
      const [{ sequence: earlySequence }] = (await pool.query<{ sequence: number }>(INSERT_EVENT, ["evt_early", data])).rows as [{ sequence: number }];
      expect(lateSequence).toBeLessThan(earlySequence);
      expect(await reader.pass()).toBe(1);
      expect(await applied()).toEqual(["evt_early"]);
      await late.query("COMMIT");
    } finally {
      late.release();
    }
    // A later event is read on from the cursor at once; the late one waits for the rescan.
    await pool.query(INSERT_EVENT, ["evt_next", data]);
    expect(await reader.pass()).toBe(1);
    expect(await applied()).toEqual(["evt_early", "evt_next"]);
    await poll(async () => (await reader.pass()) > 0 || (await applied()).includes("evt_late"), { timeoutMs: 10_000, message: "the late event applied" });
    expect(await applied()).toEqual(["evt_early", "evt_late", "evt_next"]);
    // Rescans from the safe point hand nothing on twice.
    await poll(async () => (await reader.pass()) === 0 && (await reader.pass()) === 0, { timeoutMs: 5_000, intervalMs: 400, message: "nothing left" });
    expect(await applied()).toEqual(["evt_early", "evt_late", "evt_next"]);
  });
});
