import { AckPolicy, DeliverPolicy, jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { ConsumerConfig, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { outboxEventSchema, type OutboxEvent } from "./schema";

export interface BrokerOptions {
  url: string;
  stream: string;
  /** The stream's duplicate_window: how long the broker remembers a Nats-Msg-Id to drop a second copy. */
  duplicateWindowMs: number;
  log: Logger;
}

export interface ConsumeOptions {
  /** Unacked this long, a message goes to the next delivery: the longest a handler may take. */
  ackWaitMs?: number;
  maxAckPending?: number;
}

export type EventHandler = (event: OutboxEvent, meta: { redelivered: boolean; streamSeq: number }) => Promise<void>;

/** One message, parsed. */
export interface Delivery {
  event: OutboxEvent;
  redelivered: boolean;
  streamSeq: number;
}

/**
 * Handles the deliveries at hand together. Resolves with those that failed, and why: they are
 * delivered again later, the rest acknowledged. Throwing fails them all.
 */
export type BatchHandler = (deliveries: Delivery[]) => Promise<ReadonlyMap<Delivery, unknown> | void>;

const DEFAULT_ACK_WAIT_MS = 30_000;
const DEFAULT_MAX_ACK_PENDING = 256;
/** The most messages handed to a batch handler at once: those already received, never waited for. */
const MAX_BATCH = 100;
/** A failed handler's message comes back after this; an immediate retry would likely fail the same way. */
const NAK_DELAY_MS = 1_000;
/** Between attempts to re-open a consume loop the client gave up on (consumer or stream gone, server away). */
const RESUBSCRIBE_DELAY_MS = 1_000;
/** How often a consume loop checks that it still receives what the broker holds for it. */
const WATCHDOG_MS = 10_000;

/** `ONCEPAY_EVENTS` → `oncepay.events`: each event goes to `${prefix}.${type}`, the stream binds `${prefix}.>`. */
export function subjectPrefix(stream: string): string {
  return stream.toLowerCase().replaceAll("_", ".");
}

/**
 * The client's options for `NATS_URL`. The NATS client ignores credentials in a URL, so they are
 * taken out of it here: `nats://user:pass@host:4222` signs in with a user and password,
 * `nats://token@host:4222` with a token. The server list keeps only the host, so no client error
 * or log line can carry them.
 */
export function natsConnectOptions(url: string): Pick<ConnectionOptions, "servers" | "user" | "pass" | "token"> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { servers: url };
  }
  if (!parsed.username) return { servers: url };
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  parsed.username = "";
  parsed.password = "";
  const servers = parsed.toString().replace(/\/$/, "");
  return pass === "" ? { servers, token: user } : { servers, user, pass };
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Our one door to NATS JetStream. The broker gives at-least-once delivery: publishing dedupes by
 * message id only within the stream's duplicate window, and a consumer may see a message again
 * (redelivery after a nak, a crash or an expired ack_wait), so consumers dedupe by event id themselves.
 */
export class JetStreamBroker {
  private readonly prefix: string;
  private readonly js: JetStreamClient;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly options: BrokerOptions,
  ) {
    this.prefix = subjectPrefix(options.stream);
    this.js = jetstream(nc);
  }

  static async connect(options: BrokerOptions): Promise<JetStreamBroker> {
    // The client retries forever: a NATS restart must not end a long-lived process's consumers.
    const nc = await connect({ ...natsConnectOptions(options.url), maxReconnectAttempts: -1, name: "oncepay" });
    try {
      const jsm = await jetstreamManager(nc);
      const broker = new JetStreamBroker(nc, jsm, options);
      await broker.ensureStream();
      return broker;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  private async ensureStream(): Promise<void> {
    const { stream, duplicateWindowMs } = this.options;
    const window = nanos(duplicateWindowMs);
    try {
      const info = await this.jsm.streams.info(stream);
      if (info.config.duplicate_window !== window) {
        await this.jsm.streams.update(stream, { duplicate_window: window });
        this.options.log.info({ stream, duplicateWindowMs }, "jetstream duplicate window updated");
      }
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
      await this.jsm.streams.add({
        name: stream,
        subjects: [`${this.prefix}.>`],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        duplicate_window: window,
      });
      this.options.log.info({ stream, duplicateWindowMs }, "jetstream stream created");
    }
  }

  async publish(event: OutboxEvent, msgId: string = event.id): Promise<{ duplicate: boolean; seq: number }> {
    const ack = await this.js.publish(`${this.prefix}.${event.type}`, JSON.stringify(event), { msgID: msgId });
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  /** `consumeBatches` one message at a time: the handler's throw redelivers its message. */
  consume(durable: string, handler: EventHandler, options: ConsumeOptions = {}): { stop(): Promise<void> } {
    return this.consumeBatches(
      durable,
      async (deliveries) => {
        const failed = new Map<Delivery, unknown>();
        for (const d of deliveries)
          await handler(d.event, { redelivered: d.redelivered, streamSeq: d.streamSeq }).catch((error: unknown) => failed.set(d, error));
        return failed;
      },
      options,
    );
  }

  /**
   * A pull consumer that hands over what has arrived, up to MAX_BATCH messages at once, without
   * waiting for more: one at a time when they trickle in, in batches on a backlog. A batch's
   * messages are acknowledged after the handler resolves (those it failed are redelivered), and the
   * next batch waits for those acks.
   */
  consumeBatches(durable: string, handler: BatchHandler, options: ConsumeOptions = {}): { stop(): Promise<void> } {
    const { stream, log } = this.options;
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
      max_ack_pending: options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
    };
    let stopped = false;
    let messages: ConsumerMessages | null = null;
    let wake: (() => void) | null = null;
    let handling = false;
    let lastProgress = Date.now();

    const handle = async (batch: JsMsg[]): Promise<void> => {
      const parsed: { msg: JsMsg; delivery: Delivery }[] = [];
      for (const msg of batch) {
        const event = outboxEventSchema.safeParse(safeJson(msg));
        if (event.success) {
          parsed.push({ msg, delivery: { event: event.data, redelivered: msg.redelivered, streamSeq: msg.seq } });
          continue;
        }
        // A malformed message fails the same way on every delivery: retrying it would only fill the logs forever.
        log.error({ stream, durable, streamSeq: msg.seq, issues: event.error.issues }, "jetstream message is not an event; terminated");
        // No reason argument: servers before 2.10 match the `+TERM` payload exactly and silently ignore `+TERM <reason>`.
        msg.term();
      }
      if (parsed.length === 0) return;
      let failed: ReadonlyMap<Delivery, unknown>;
      try {
        failed = (await handler(parsed.map((p) => p.delivery))) ?? new Map();
      } catch (error) {
        failed = new Map(parsed.map((p) => [p.delivery, error]));
      }
      for (const { msg, delivery } of parsed) {
        if (!failed.has(delivery)) msg.ack();
        else {
          log.warn({ err: failed.get(delivery), stream, durable, eventId: delivery.event.id, streamSeq: msg.seq }, "event handler failed; redelivering");
          msg.nak(NAK_DELAY_MS);
        }
      }
      try {
        // One round trip for the batch's acks, rather than one each: once the server has them, the
        // broker will not deliver these messages again.
        await this.nc.flush();
      } catch (error) {
        // The handler's work is done; at worst the messages come back after ack_wait and the consumer dedupes them.
        log.warn({ err: error, stream, durable, messages: parsed.length }, "event acks not confirmed");
      }
    };

    const run = async (): Promise<void> => {
      while (!stopped) {
        try {
          await this.ensureConsumer(durable, config);
          const consumer = await this.js.consumers.get(stream, durable);
          messages = await consumer.consume({ max_messages: Math.min(config.max_ack_pending ?? DEFAULT_MAX_ACK_PENDING, 100) });
          if (stopped) break;
          // A batch at a time: the next waits for the previous one's acks, so a consumer sees the stream in order.
          for await (const batch of batches(messages, MAX_BATCH)) {
            if (stopped) break;
            handling = true;
            try {
              await handle(batch);
            } finally {
              handling = false;
              lastProgress = Date.now();
            }
          }
        } catch (error) {
          if (stopped || this.nc.isClosed()) break;
          log.warn({ err: error, stream, durable }, "jetstream consume loop failed; retrying");
        }
        if (stopped || this.nc.isClosed()) break;
        // The client itself rides out reconnects; the iterator only ends when it gave up, so start over after a pause.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, RESUBSCRIBE_DELAY_MS).unref();
        });
        wake = null;
      }
    };

    const ackWait = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    // Seen once in a chaos run after NATS and PostgreSQL restarts: a consume loop that received
    // nothing more while the broker held messages for it. Should the client's own recovery ever miss
    // again, the loop is closed, and opens a fresh one.
    const watchdog = setInterval(() => {
      if (stopped || handling || !messages || Date.now() - lastProgress < ackWait * 2) return;
      void this.jsm.consumers.info(stream, durable).then(
        (info) => {
          if (info.num_pending + info.num_ack_pending === 0 || handling || Date.now() - lastProgress < ackWait * 2) return;
          log.warn({ stream, durable, pending: info.num_pending, ackPending: info.num_ack_pending }, "jetstream consume loop stalled; reopening it");
          lastProgress = Date.now();
          void messages?.close();
        },
        () => undefined,
      );
    }, WATCHDOG_MS).unref();

    const done = run();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(watchdog);
        wake?.();
        // Buffered, unhandled messages are not acked: the broker delivers them again after ack_wait.
        await messages?.close();
        await done;
      },
    };
  }

  private async ensureConsumer(durable: string, config: Partial<ConsumerConfig>): Promise<void> {
    const { stream } = this.options;
    try {
      const info = await this.jsm.consumers.info(stream, durable);
      if (info.config.ack_wait !== config.ack_wait || info.config.max_ack_pending !== config.max_ack_pending) {
        await this.jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
      }
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
      await this.jsm.consumers.add(stream, config);
    }
  }

  /** Closes the connection without waiting for handlers: a consumer's unacked message goes back to the stream. */
  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close();
  }
}

/**
 * The messages in batches of what has already arrived: the first waited for, then those the client
 * holds already (they come in microtasks, before a macrotask passes), up to `max`.
 */
async function* batches(messages: AsyncIterable<JsMsg>, max: number): AsyncGenerator<JsMsg[]> {
  const iterator = messages[Symbol.asyncIterator]();
  const pull = () => {
    const next = iterator.next();
    next.catch(() => undefined); // awaited below, or dropped with the loop: never an unhandled rejection
    return next;
  };
  let next = pull();
  try {
    for (;;) {
      const first = await next;
      if (first.done) return;
      const batch = [first.value];
      next = pull();
      while (batch.length < max) {
        // A failure is not this batch's: it is thrown by the next round's wait, after the batch is handled.
        const ready = await Promise.race([next.catch(() => null), new Promise<null>((resolve) => setImmediate(resolve, null))]);
        if (ready === null || ready.done) break;
        batch.push(ready.value);
        next = pull();
      }
      yield batch;
    }
  } finally {
    void iterator.return?.()?.catch(() => undefined);
  }
}

function safeJson(msg: JsMsg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
