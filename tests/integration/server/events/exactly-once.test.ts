import { afterAll, describe, expect, it } from "vitest";
import { deleteStream } from "@/fixtures/jetstream-admin";
import { expectAppliedOnce } from "../../../support/event-checks";
import { payAndRefund, killInTurns } from "../../../support/event-load";
import { startWorker, type WorkerProcess } from "@/fixtures/worker-process";
import { NATS_URL, testStream, waitCaughtUp } from "../../../support/event-workers";
import { useOwnStack } from "../../../support/own-stack";

// The relay and each consumer in processes of their own, killed -9 in turns while payments and
// refunds stream in; afterwards every event must have been applied exactly once by every consumer.
describe.each([
  { mode: "JetStream", payments: 1500, refundEvery: 3, workers: [["relay"], ["receipts"], ["revenue"]], killEveryMs: 2_000 },
  { mode: "the outbox, no broker", payments: 400, refundEvery: 3, workers: [["receipts"], ["revenue"]], killEveryMs: 3_000 },
])("events through $mode, with the workers killed mid-stream", ({ mode, payments, refundEvery, workers, killEveryMs }) => {
  const stream = testStream("exactly_once");
  const brokered = mode === "JetStream";
  const eventEnv: Record<string, string> = {
    EVENTS_LEASE_SECONDS: "1",
    EVENTS_POLL_MS: "50",
    ...(brokered ? { NATS_URL, NATS_STREAM: stream, NATS_ACK_WAIT_SECONDS: "2" } : {}),
  };
  const stack = useOwnStack({ serverEnv: { ...eventEnv, EVENT_WORKERS: "none" } });
  let running: WorkerProcess[] = [];
  const start = (names: string[]) => startWorker(names, { ...eventEnv, DATABASE_URL: stack.database.url });

  afterAll(async () => {
    await Promise.all(running.map((w) => w.stop()));
    if (brokered) {
      await deleteStream(NATS_URL, stream);
    }
  });

  it("applies every event once in every consumer, however often they die", async () => {
    running = workers.map(start);
    const load = payAndRefund(stack.api, { payments, refundEvery, concurrency: 8 });
    const kills = await killInTurns(running, start, load, killEveryMs);
    const tally = await load;
    const loaded = Date.now();
    await waitCaughtUp(stack.database.url, ["receipts", "revenue"], { relayed: brokered, timeoutMs: 120_000 });
    const caughtUpMs = Date.now() - loaded;
    const { events } = await expectAppliedOnce(stack.database.url);
    console.log(`${mode}: ${events} events, kills ${JSON.stringify(kills)}, caught up ${caughtUpMs} ms after the last payment`);
    expect(events).toBe(tally.payments + tally.refunds);
    // The run proves something only if every worker died mid-stream, more than once.
    for (const names of workers) expect(kills[names.join("+")], `${names.join("+")} kills`).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
