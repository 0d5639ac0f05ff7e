import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { newKey } from "@/fixtures";
import { startWorker, type WorkerProcess } from "@/fixtures/worker-process";
import { Sql } from "@/server/db/sql";
import { JetStreamBroker } from "@/server/events/jetstream";
import { deleteStream } from "@/fixtures/jetstream-admin";
import { eventsFrom } from "@/server/events/outbox";
import { paymentEvent, type PaymentEvent } from "@/server/payments/events";
import { logger } from "@/server/observability/logger";
import { expectAppliedOnce } from "../../../support/event-checks";
import { NATS_URL, testStream, waitCaughtUp } from "../../../support/event-workers";
import { useOwnStack } from "../../../support/own-stack";

// No relay: the test publishes, forged messages first, then the outbox's own.
describe("messages on the stream that the outbox does not hold as they say", () => {
  const stream = testStream("forged");
  const eventEnv = { NATS_URL, NATS_STREAM: stream, EVENTS_POLL_MS: "50" };
  const stack = useOwnStack({ serverEnv: { ...eventEnv, EVENT_WORKERS: "none" } });
  let broker: JetStreamBroker;
  let consumers: WorkerProcess | undefined;

  afterAll(async () => {
    await consumers?.stop();
    await deleteStream(NATS_URL, stream);
    await broker?.close();
  });

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: stack.database.url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async function outbox(): Promise<PaymentEvent[]> {
    const pool = new pg.Pool({ connectionString: stack.database.url, max: 1 });
    try {
      return (await eventsFrom(new Sql(pool, false), 0, 10_000)).map(paymentEvent);
    } finally {
      await pool.end();
    }
  }

  it("change nothing: no receipt, no inbox row, and the real events applied once", async () => {
    broker = await JetStreamBroker.connect({ url: NATS_URL, stream, duplicateWindowMs: 120_000, log: logger });
    for (const amount of [1_000, 2_000]) expect((await stack.api.pay({ amount, currency: "usd", customer: "cus_real" }, { key: newKey() })).status).toBe(201);
    const events = await outbox();
    expect(events).toHaveLength(2);
    const [first, second] = events as [PaymentEvent, PaymentEvent];

    // An event the outbox never held, for a payment that does not exist.
    const invented: PaymentEvent = {
      ...first,
      id: `evt_forged${newKey().replace(/[^a-zA-Z0-9]/g, "")}`,
      sequence: first.sequence + 1_000,
      data: { ...first.data, payment: { ...first.data.payment, id: "pay_forged", amount: 999_999, customer: "cus_forged" }, amount: 999_999 },
    };
    // A real event's id ahead of the real message, with another merchant and amount, under the real
    // message's Nats-Msg-Id: it would take the id in each inbox, and the broker drops the real message.
    const hijacked: PaymentEvent = {
      ...second,
      merchant: "bob",
      data: { ...second.data, amount: 1, payment: { ...second.data.payment, amount: 1, customer: "cus_forged" } },
    };
    const sameIdLowerSequence: PaymentEvent = { ...first, sequence: 1 + first.sequence + 500 };
    await broker.publish(invented);
    await broker.publish(hijacked);
    await broker.publish(sameIdLowerSequence, `${first.id}:forged`);
    const acks = [];
    for (const event of events) acks.push(await broker.publish(event));
    expect(acks.map((a) => a.duplicate)).toEqual([false, true]);

    consumers = startWorker(["receipts", "revenue"], { ...eventEnv, DATABASE_URL: stack.database.url });
    await waitCaughtUp(stack.database.url, ["receipts", "revenue"], { relayed: false });
    await expectAppliedOnce(stack.database.url);

    // Nothing of the forgeries: no inbox row under the invented id, each real id at its real sequence.
    expect(await query("SELECT consumer FROM consumer_inbox WHERE event_id = $1", [invented.id])).toEqual([]);
    const inbox = await query<{ event_id: string; sequence: string }>("SELECT DISTINCT event_id, sequence FROM consumer_inbox ORDER BY event_id");
    expect(inbox.map((r) => [r.event_id, Number(r.sequence)]).sort()).toEqual(events.map((e) => [e.id, e.sequence]).sort());
    // The receipts are the real payments', with their real amounts.
    const receipts = await query<{ payment_id: string; body: string }>(
      "SELECT r.payment_id, d.body FROM receipts r JOIN receipt_documents d ON d.sha256 = r.sha256 ORDER BY r.payment_id",
    );
    expect(receipts.map((r) => r.payment_id).sort()).toEqual(events.map((e) => e.data.payment.id).sort());
    for (const receipt of receipts) expect(receipt.body).not.toContain("cus_forged");
    expect(receipts.some((r) => r.body.includes("pay_forged"))).toBe(false);

    // A receipt names its customer: the browser may keep it for good, shared caches never.
    const where = await stack.api.request(`/api/v1/payments/${first.data.payment.id}/receipt`);
    expect(where.status).toBe(200);
    const document = await stack.api.request(where.body.url as string, { merchant: null });
    expect(document.status).toBe(200);
    expect(document.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
  }, 180_000);
});
