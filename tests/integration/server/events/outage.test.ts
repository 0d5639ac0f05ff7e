import { afterAll, describe, expect, it } from "vitest";
import { expectAppliedOnce } from "../../../support/event-checks";
import { payAndRefund } from "../../../support/event-load";
import { eventTotals, testStream, waitCaughtUp } from "../../../support/event-workers";
import { privateNats, type PrivateNats } from "@/fixtures/nats-server";
import { useOwnStack } from "../../../support/own-stack";

async function unpublished(databaseUrl: string) {
  const totals = await eventTotals(databaseUrl);
  await totals.close();
  return { events: totals.events, unpublished: totals.unpublished };
}

// Contract, "Outages": NATS unreachable, events wait in the outbox, none lost. A NATS of the
// test's own, down when the app starts, then up, then down and up again mid-stream.
describe("NATS unreachable", () => {
  let nats: PrivateNats;
  const stack = useOwnStack({
    serverEnv: { NATS_STREAM: testStream("outage"), EVENTS_POLL_MS: "50", EVENTS_LEASE_SECONDS: "1", NATS_ACK_WAIT_SECONDS: "2" },
    before: async () => {
      nats = await privateNats({ running: false });
      return { NATS_URL: nats.url };
    },
  });
  afterAll(() => nats?.dispose());

  it("payments go on, events wait in the outbox, and all of them arrive once NATS is back", async () => {
    const first = await payAndRefund(stack.api, { payments: 30, refundEvery: 3, concurrency: 4 });
    expect(await unpublished(stack.database.url)).toEqual({ events: first.payments + first.refunds, unpublished: first.payments + first.refunds });

    await nats.start();
    await waitCaughtUp(stack.database.url, ["receipts", "revenue"], { relayed: true, timeoutMs: 60_000 });

    // Down again while payments keep coming, then back: what waited is published, nothing twice.
    await nats.stop();
    const second = await payAndRefund(stack.api, { payments: 30, refundEvery: 3, concurrency: 4 });
    expect((await unpublished(stack.database.url)).unpublished).toBeGreaterThan(0);
    await nats.start();
    await waitCaughtUp(stack.database.url, ["receipts", "revenue"], { relayed: true, timeoutMs: 90_000 });
    const { events } = await expectAppliedOnce(stack.database.url);
    expect(events).toBe(first.payments + first.refunds + second.payments + second.refunds);
  }, 180_000);
});
