import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { poll } from "@/fixtures";
import { JetStreamBroker } from "@/server/events/jetstream";
import { deleteStream } from "@/fixtures/jetstream-admin";
import { eventsFrom } from "@/server/events/outbox";
import type { OutboxEvent } from "@/server/events/schema";
import { Sql } from "@/server/db/sql";
import { logger } from "@/server/observability/logger";
import { expectAppliedOnce } from "../../../support/event-checks";
import { payAndRefund } from "../../../support/event-load";
import { startWorker, type WorkerProcess } from "@/fixtures/worker-process";
import { NATS_URL, testStream, waitCaughtUp } from "../../../support/event-workers";
import { useOwnStack } from "../../../support/own-stack";

const shuffled = <T>(items: T[]) =>
  items
    .map((item) => ({ item, at: Math.random() }))
    .sort((a, b) => a.at - b.at)
    .map(({ item }) => item);

// No relay here: the test is the publisher, and publishes badly on purpose.
describe("events published twice, out of order, and again after the broker's duplicate window", () => {
  const stream = testStream("duplicates");
  const WINDOW_MS = 1_000;
  const eventEnv = { NATS_URL, NATS_STREAM: stream, NATS_DUPLICATE_WINDOW_SECONDS: String(WINDOW_MS / 1000), EVENTS_POLL_MS: "50" };
  const stack = useOwnStack({ serverEnv: { ...eventEnv, EVENT_WORKERS: "none" } });
  let broker: JetStreamBroker;
  let consumers: WorkerProcess | undefined;

  afterAll(async () => {
    await consumers?.stop();
    await deleteStream(NATS_URL, stream);
    await broker?.close();
  });

  async function outbox(): Promise<OutboxEvent[]> {
    const pool = new pg.Pool({ connectionString: stack.database.url, max: 1 });
    try {
      return await eventsFrom(new Sql(pool, false), 0, 10_000);
    } finally {
      await pool.end();
    }
  }

  async function duplicatesDropped(): Promise<number> {
    const client = new pg.Client({ connectionString: stack.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        "SELECT coalesce(sum(duplicates), 0) AS n FROM consumer_state WHERE consumer IN ('receipts', 'revenue')",
      );
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it("applies each event once", async () => {
    broker = await JetStreamBroker.connect({ url: NATS_URL, stream, duplicateWindowMs: WINDOW_MS, log: logger });
    const tally = await payAndRefund(stack.api, { payments: 60, refundEvery: 2, concurrency: 6 });
    const events = await outbox();
    expect(events).toHaveLength(tally.payments + tally.refunds);

    // Each event twice under its own id, shuffled: the broker drops the second copy of each.
    const acks = [];
    for (const event of shuffled([...events, ...events])) acks.push(await broker.publish(event));
    expect(acks.filter((a) => a.duplicate)).toHaveLength(events.length);
    // And a copy the broker cannot recognise (another message id), shuffled again: the consumers must.
    for (const event of shuffled(events)) expect((await broker.publish(event, `${event.id}:copy`)).duplicate).toBe(false);

    consumers = startWorker(["receipts", "revenue"], { ...eventEnv, DATABASE_URL: stack.database.url });
    await waitCaughtUp(stack.database.url, ["receipts", "revenue"], { relayed: false });
    await poll(async () => (await duplicatesDropped()) === 2 * events.length, { timeoutMs: 30_000, message: "the copies were not all dropped" });

    // Past the window the broker takes the original ids again; the consumers still apply nothing new.
    await poll(async () => !(await broker.publish(events[0]!)).duplicate, { timeoutMs: 30_000, intervalMs: 250, message: "the duplicate window never closed" });
    for (const event of shuffled(events.slice(1))) await broker.publish(event);
    await poll(async () => (await duplicatesDropped()) === 4 * events.length, { timeoutMs: 30_000, message: "late copies were not all dropped" });
    await expectAppliedOnce(stack.database.url);
  }, 180_000);
});
