import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { Sql } from "@/server/db/sql";
import { JetStreamBroker } from "@/server/events/jetstream";
import { deleteStream } from "@/fixtures/jetstream-admin";
import { eventsFrom } from "@/server/events/outbox";
import { logger } from "@/server/observability/logger";
import { expectAppliedOnce } from "../../../support/event-checks";
import { payAndRefund } from "../../../support/event-load";
import { startWorker, type WorkerProcess } from "@/fixtures/worker-process";
import { eventTotals, NATS_URL, testStream, waitCaughtUp } from "../../../support/event-workers";
import { useOwnStack } from "../../../support/own-stack";

// A consumer applies a batch in one transaction and acknowledges its messages only after the
// commit. Killed between the two, its whole batch comes back from the broker: the inbox must drop
// every event of it, and count each as a copy. No relay: the test publishes the outbox itself.
describe("a consumer killed after its batch committed, before it acknowledged the messages", () => {
  const stream = testStream("committed_unacked");
  const eventEnv = { NATS_URL, NATS_STREAM: stream, NATS_ACK_WAIT_SECONDS: "5", EVENTS_POLL_MS: "50" };
  const stack = useOwnStack({ serverEnv: { ...eventEnv, EVENT_WORKERS: "none" } });
  const consumers = ["receipts", "revenue"];
  let broker: JetStreamBroker;
  let workers: WorkerProcess[] = [];

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await deleteStream(NATS_URL, stream);
    await broker?.close();
  });

  async function state(): Promise<Record<string, { inbox: number; duplicates: number; applied: number }>> {
    const db = await eventTotals(stack.database.url);
    try {
      const out: Record<string, { inbox: number; duplicates: number; applied: number }> = {};
      for (const consumer of consumers) {
        const [row] = await db.query<{ duplicates: string; applied: string }>("SELECT duplicates, applied FROM consumer_state WHERE consumer = $1", [consumer]);
        out[consumer] = { inbox: await db.inbox(consumer), duplicates: Number(row?.duplicates ?? 0), applied: Number(row?.applied ?? 0) };
      }
      return out;
    } finally {
      await db.close();
    }
  }

  it("gets the whole batch again, and drops all of it as copies", async () => {
    const tally = await payAndRefund(stack.api, { payments: 120, refundEvery: 2, concurrency: 8 });
    const pool = new pg.Pool({ connectionString: stack.database.url, max: 1 });
    const events = await eventsFrom(new Sql(pool, false), 0, 10_000).finally(() => pool.end());
    expect(events).toHaveLength(tally.payments + tally.refunds);
    broker = await JetStreamBroker.connect({ url: NATS_URL, stream, duplicateWindowMs: 120_000, log: logger });
    for (const event of events) await broker.publish(event);

    // Each consumer in a process of its own that kills itself after its first commit, before any ack.
    const crashing = consumers.map((name) =>
      startWorker([name], { ...eventEnv, DATABASE_URL: stack.database.url, FAULT_INJECTION: "1", ONCEPAY_CRASH_AT: "consumer_committed" }),
    );
    workers = crashing;
    await Promise.all(crashing.map((w) => w.exited));
    const crashed = await state();
    for (const consumer of consumers) {
      // Its batch committed (inbox rows and counters together), and nothing was dropped yet.
      expect(crashed[consumer]!.inbox, `${consumer}'s committed batch`).toBeGreaterThan(0);
      expect(crashed[consumer]!.applied).toBe(crashed[consumer]!.inbox);
      expect(crashed[consumer]!.duplicates).toBe(0);
    }
    console.log(`committed before the kill: ${consumers.map((c) => `${c} ${crashed[c]!.inbox}`).join(", ")} of ${events.length} events`);

    workers = consumers.map((name) => startWorker([name], { ...eventEnv, DATABASE_URL: stack.database.url }));
    await waitCaughtUp(stack.database.url, consumers, { relayed: false });
    const after = await state();
    for (const consumer of consumers) {
      // Every message of the unacknowledged batch came back and was dropped: each event applied once,
      // the batch's counted as copies (a loaded machine may let ack_wait pass on a later batch too).
      expect(after[consumer]!.duplicates, `${consumer}'s dropped copies`).toBeGreaterThanOrEqual(crashed[consumer]!.inbox);
      expect(after[consumer]!.applied).toBe(events.length);
    }
    await expectAppliedOnce(stack.database.url);
  }, 180_000);
});
