import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
// Runs against the real local NATS (nats://127.0.0.1:4222, JetStream enabled): each test gets its own stream, deleted afterwards.
import { connect } from "@nats-io/transport-node";
import { customAlphabet } from "nanoid";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { JetStreamBroker, natsConnectOptions, subjectPrefix } from "@/server/events/jetstream";
import type { OutboxEvent } from "@/server/events/schema";
import { privateNats } from "@/fixtures/nats-server";
import { deleteStream, streamStats } from "@/fixtures/jetstream-admin";

const URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const log = pino({ level: "silent" });
const suffix = customAlphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10);

let open: JetStreamBroker[] = [];
const streamOf = new Map<JetStreamBroker, string>();
/** The stream of a broker the test made, as NATS reports it. */
const stats = (b: JetStreamBroker, durables: string[]) => streamStats(URL, streamOf.get(b)!, durables);
let streams: string[] = [];

afterEach(async () => {
  // A fresh connection does the cleanup: a test may have closed its own brokers on purpose.
  for (const stream of streams) {
    await deleteStream(URL, stream);
  }
  for (const broker of open) await broker.close();
  open = [];
  streams = [];
});

async function broker(stream = `TEST_${suffix()}`, duplicateWindowMs = 120_000): Promise<JetStreamBroker> {
  const b = await JetStreamBroker.connect({ url: URL, stream, duplicateWindowMs, log });
  open.push(b);
  streamOf.set(b, stream);
  if (!streams.includes(stream)) streams.push(stream);
  return b;
}

let sequence = 0;
function event(overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  sequence += 1;
  return {
    id: `evt_${suffix()}`,
    sequence,
    merchant: "mer_test",
    type: "payment.succeeded",
    createdAt: new Date().toISOString(),
    data: {
      payment: {
        id: `pay_${sequence}`,
        amount: 1000,
        currency: "usd",
        description: null,
        customer: null,
        providerPaymentId: null,
        status: "succeeded",
        failureCode: null,
        createdAt: new Date().toISOString(),
        refunds: [],
      },
      amount: 1000,
    },
    ...overrides,
  };
}

async function until<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

type Delivery = { id: string; redelivered: boolean; streamSeq: number };

describe("JetStreamBroker (real NATS)", () => {
  it("names subjects after the stream", () => {
    expect(subjectPrefix("ONCEPAY_EVENTS")).toBe("oncepay.events");
  });

  it("drops a second publish with the same msgId, and the consumer sees the event once", async () => {
    const b = await broker();
    const e1 = event();
    const marker = event({ type: "refund.succeeded" });

    expect(await b.publish(e1)).toEqual({ duplicate: false, seq: 1 });
    expect(await b.publish(e1)).toEqual({ duplicate: true, seq: 1 });
    expect(await b.publish(marker)).toEqual({ duplicate: false, seq: 2 });

    const seen: Delivery[] = [];
    const consumer = b.consume("dedupe", async (e, meta) => void seen.push({ id: e.id, ...meta }));
    await until(() => seen.some((d) => d.id === marker.id), 5000, "the marker");
    await consumer.stop();

    expect(seen).toEqual([
      { id: e1.id, redelivered: false, streamSeq: 1 },
      { id: marker.id, redelivered: false, streamSeq: 2 },
    ]);
    expect((await stats(b, [])).messages).toBe(2);
  });

  it("redelivers a message whose handler threw, then acks it; the others keep their order", async () => {
    const b = await broker();
    const events = [event(), event(), event(), event()] as const;
    for (const e of events) await b.publish(e);

    const seen: Delivery[] = [];
    let failed = false;
    const consumer = b.consume("retry", async (e, meta) => {
      seen.push({ id: e.id, ...meta });
      if (e.id === events[1].id && !failed) {
        failed = true;
        throw new Error("transient");
      }
    });
    await until(() => seen.length >= 5, 8000, "five deliveries");
    await until(async () => {
      const s = (await stats(b, ["retry"])).consumers.retry;
      return s && s.pending === 0 && s.ackPending === 0;
    });
    await consumer.stop();

    const ids = seen.map((d) => d.id);
    expect(seen).toHaveLength(5);
    expect(ids.filter((id) => id !== events[1].id)).toEqual([events[0].id, events[2].id, events[3].id]);
    expect(seen.filter((d) => d.id === events[1].id)).toEqual([
      { id: events[1].id, redelivered: false, streamSeq: 2 },
      { id: events[1].id, redelivered: true, streamSeq: 2 },
    ]);
    expect(seen.filter((d) => d.id !== events[1].id).every((d) => !d.redelivered)).toBe(true);
    expect((await stats(b, ["retry"])).consumers.retry?.redelivered).toBe(0);
  }, 15_000);

  it("gives a crashed consumer's unacked message to the next one with the same durable name after ack_wait", async () => {
    const stream = `TEST_${suffix()}`;
    const first = await broker(stream);
    const e1 = event();
    const e2 = event();
    await first.publish(e1);
    await first.publish(e2);

    let hung: string | null = null;
    // The handler never returns: the process "crashes" mid-handler, its connection goes away unacked.
    first.consume(
      "crash",
      async (e) => {
        hung = e.id;
        await new Promise<never>(() => {});
      },
      { ackWaitMs: 1000 },
    );
    await until(() => hung, 5000, "the first delivery");
    expect(hung).toBe(e1.id);
    await first.close();

    const second = await broker(stream);
    const seen: Delivery[] = [];
    const crashedAt = Date.now();
    const consumer = second.consume("crash", async (e, meta) => void seen.push({ id: e.id, ...meta }), { ackWaitMs: 1000 });
    await until(() => seen.length >= 2, 8000, "both events again");
    await consumer.stop();

    expect(seen.map((d) => d.id)).toEqual([e1.id, e2.id]);
    expect(seen[0]).toEqual({ id: e1.id, redelivered: true, streamSeq: 1 });
    // Redelivery waits for ack_wait (1 s): the broker cannot tell a crash from a slow handler sooner.
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(500);
  }, 15_000);

  it("accepts the same msgId again once the duplicate window has passed", async () => {
    const b = await broker(undefined, 1000);
    const e1 = event();
    const start = Date.now();
    expect((await b.publish(e1)).duplicate).toBe(false);
    expect((await b.publish(e1)).duplicate).toBe(true);

    // The server forgets ids on its own timer, a little after the window: poll rather than guess.
    await until(() => Date.now() - start > 1000, 2000, "the window to pass");
    const again = await until(
      async () => {
        const ack = await b.publish(e1);
        return ack.duplicate ? null : ack;
      },
      5000,
      "a non-duplicate publish",
    );
    expect(again.seq).toBe(2);
    expect(Date.now() - start).toBeGreaterThan(1000);

    // The broker now holds two copies: deduping past the window is the consumer's job.
    const seen: string[] = [];
    const consumer = b.consume("late", async (e) => void seen.push(e.id));
    await until(() => seen.length >= 2);
    await consumer.stop();
    expect(seen).toEqual([e1.id, e1.id]);
  }, 15_000);

  it("terminates a message that is not an event instead of retrying it", async () => {
    const stream = `TEST_${suffix()}`;
    const b = await broker(stream);
    const raw = await connect({ servers: URL });
    try {
      await raw.request(`${subjectPrefix(stream)}.payment.succeeded`, JSON.stringify({ id: "nope" }));
    } finally {
      await raw.close();
    }
    const good = event();
    await b.publish(good);

    const seen: Delivery[] = [];
    const consumer = b.consume("strict", async (e, meta) => void seen.push({ id: e.id, ...meta }), { ackWaitMs: 1000 });
    await until(() => seen.length >= 1);
    await until(async () => {
      const s = (await stats(b, ["strict"])).consumers.strict;
      return s && s.pending === 0 && s.ackPending === 0;
    });
    await consumer.stop();
    expect(seen).toEqual([{ id: good.id, redelivered: false, streamSeq: 2 }]);
    expect((await stats(b, ["strict"])).consumers.strict?.redelivered).toBe(0);
  }, 10_000);

  it("reports the stream's size and each durable's pending counts", async () => {
    const b = await broker();
    expect(await stats(b, ["nobody"])).toEqual({ messages: 0, lastSeq: 0, consumers: { nobody: null } });

    const seen: string[] = [];
    const consumer = b.consume("dash", async (e) => void seen.push(e.id));
    await b.publish(event());
    await until(async () => (await stats(b, ["dash"])).consumers.dash?.ackPending === 0 && seen.length === 1);
    await consumer.stop();

    await b.publish(event());
    await b.publish(event());
    expect(await stats(b, ["dash", "nobody"])).toEqual({
      messages: 3,
      lastSeq: 3,
      consumers: { dash: { pending: 2, ackPending: 0, redelivered: 0 }, nobody: null },
    });
  });

  // A private nats-server (the shared one is not ours to restart), on a free port with its own store.
  it("keeps consuming across a NATS restart", async () => {
    const nats = await privateNats({ running: true });
    const url = nats.url;
    let b: JetStreamBroker | null = null;
    try {
      b = await JetStreamBroker.connect({ url, stream: `TEST_${suffix()}`, duplicateWindowMs: 120_000, log });
      const seen: string[] = [];
      const consumer = b.consume("survivor", async (e) => void seen.push(e.id), { ackWaitMs: 1000 });
      const before = event();
      await b.publish(before);
      await until(() => seen.length === 1);

      await nats.stop();
      await nats.start();
      const after = event();
      // The client reconnects on its own schedule; publishing fails until it has.
      await until(
        () =>
          b!.publish(after).then(
            () => true,
            () => false,
          ),
        15_000,
        "a publish after the restart",
      );
      await until(() => seen.includes(after.id), 15_000, "the event published after the restart");
      await consumer.stop();
      expect(seen).toEqual([before.id, after.id]);
    } finally {
      await b?.close();
      await nats.dispose();
    }
  }, 45_000);

  it("takes credentials out of NATS_URL: user and password, or a token", () => {
    expect(natsConnectOptions("nats://127.0.0.1:4222")).toEqual({ servers: "nats://127.0.0.1:4222" });
    expect(natsConnectOptions("nats://oncepay:s3cr%40t@nats:4222")).toEqual({ servers: "nats://nats:4222", user: "oncepay", pass: "s3cr@t" });
    expect(natsConnectOptions("tls://t0ken@nats:4222")).toEqual({ servers: "tls://nats:4222", token: "t0ken" });
  });

  it("signs in to a NATS server that requires a user and password, named in the URL", async () => {
    // The configuration docs/events.md gives: a user allowed the stream's subjects and the JetStream API, nothing else.
    const config = path.join(mkdtempSync(path.join(tmpdir(), "oncepay-nats-conf-")), "nats.conf");
    writeFileSync(
      config,
      `authorization { users = [ { user: oncepay, password: "s3cr@t", permissions: { publish: ["oncepay.events.>", "$JS.API.>", "$JS.ACK.>"], subscribe: ["_INBOX.>"] } } ] }\n`,
    );
    const nats = await privateNats({ running: true, args: ["-c", config] });
    const [scheme, rest] = nats.url.split("://");
    // The production stream's name (the server is this test's own): its subjects are oncepay.events.>.
    const stream = "ONCEPAY_EVENTS";
    let b: JetStreamBroker | null = null;
    try {
      await expect(JetStreamBroker.connect({ url: nats.url, stream, duplicateWindowMs: 120_000, log })).rejects.toThrow();
      b = await JetStreamBroker.connect({ url: `${scheme}://oncepay:s3cr%40t@${rest}`, stream, duplicateWindowMs: 120_000, log });
      const seen: string[] = [];
      const consumer = b.consume("signed-in", async (e) => void seen.push(e.id), { ackWaitMs: 1000 });
      const one = event();
      await b.publish(one);
      await until(() => seen.includes(one.id), 10_000, "the event, through a signed-in connection");
      await consumer.stop();
    } finally {
      await b?.close();
      await nats.dispose();
    }
  }, 45_000);
});
