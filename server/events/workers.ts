import type { Logger } from "pino";
import type { CallPipeline } from "@oncepay/idempotency";
import type { Sql, SqlPool } from "../db/sql";
import { newId } from "../ids";
import type { Job } from "../jobs/scheduler";
import { consumeAll, type Consumer } from "./consumer";
import { advanceSafePoint } from "./inbox";
import { JetStreamBroker, type Delivery } from "./jetstream";
import { eventsFrom } from "./outbox";
import { OutboxReader } from "./outbox-reader";
import { relayPass } from "./relay";
import type { OutboxEvent } from "./schema";
import { storedCopies } from "./stored-copy";

export const RELAY = "relay";

export interface EventWorkersOptions {
  /** Which of the relay and the consumers run in this process. */
  run: ReadonlySet<string>;
  /** Unset: consumers read the outbox in-process and nothing is relayed. */
  natsUrl?: string;
  stream: string;
  duplicateWindowMs: number;
  ackWaitMs: number;
  intervalMs: number;
  leaseMs: number;
  graceSeconds: number;
  /** Called between a JetStream batch's commit and its acks (the tests' crash point). */
  afterCommit?: () => void;
  log: Logger;
}

interface Stoppable {
  stop(): Promise<void>;
}

const BATCH = 100;
/** How often a consumer moves its safe point (lag figures; copies below it are dropped), and an outbox reader rescans from it. */
const SAFE_POINT_MS = 2_000;

/**
 * The event path's moving parts in this process: the relay and the consumers it was asked to run.
 * The recurring parts (the relay's passes, the outbox readers, the safe points) are jobs for the
 * scheduler; JetStream's pull consumers run here. NATS away at start is no failure: the events
 * wait in the outbox, and the broker's parts start when it answers.
 */
export class EventWorkers {
  private readonly running: Stoppable[] = [];
  private connecting: NodeJS.Timeout | null = null;
  private stopped = false;
  broker: JetStreamBroker | null = null;

  constructor(
    private readonly sql: SqlPool,
    private readonly calls: CallPipeline<Sql>,
    private readonly consumers: Consumer[],
    private readonly options: EventWorkersOptions,
  ) {}

  /** How long an event's transaction may stay open after writing it: readers and rebuilds trust what is older. */
  get graceSeconds(): number {
    return this.options.graceSeconds;
  }

  get mode(): "jetstream" | "outbox" {
    return this.options.natsUrl ? "jetstream" : "outbox";
  }

  /** Every consumer's name, whether or not this process runs it. */
  get names(): string[] {
    return this.consumers.map((consumer) => consumer.name);
  }

  /** The recurring parts this process runs, for the scheduler. */
  jobs(): Job[] {
    const { intervalMs, leaseMs, graceSeconds } = this.options;
    const jobs: Job[] = [];
    if (!this.options.natsUrl) {
      for (const consumer of this.chosen()) {
        const reader = new OutboxReader(this.sql, consumer.name, this.handler(consumer), { batch: BATCH, graceSeconds, rescanMs: SAFE_POINT_MS });
        jobs.push({
          name: `outbox:${consumer.name}`,
          intervalMs,
          run: async () => {
            const handed = await reader.pass();
            return { more: handed === BATCH, counts: { events: handed } };
          },
        });
      }
      return jobs;
    }
    if (this.options.run.has(RELAY)) {
      jobs.push({
        name: RELAY,
        intervalMs,
        run: async () => {
          const broker = this.broker;
          if (!broker) return {}; // not connected yet: the events wait in the outbox
          const published = await relayPass(this.sql, (event) => broker.publish(event), { batch: BATCH, leaseMs });
          return { more: published === BATCH, counts: { published } };
        },
      });
    }
    for (const consumer of this.chosen()) {
      jobs.push({
        name: `safe-point:${consumer.name}`,
        intervalMs: SAFE_POINT_MS,
        run: async () => void (await advanceSafePoint(this.sql, consumer.name, graceSeconds)),
      });
    }
    return jobs;
  }

  /** Connects to JetStream and starts the pull consumers this process runs; nothing without a broker. */
  start(): void {
    this.stopped = false;
    if (this.options.natsUrl) this.connect(this.options.natsUrl);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.connecting) clearTimeout(this.connecting);
    await Promise.all(this.running.splice(0).map((worker) => worker.stop().catch(() => undefined)));
    await this.broker?.close().catch(() => undefined);
  }

  /**
   * Delivers every event from `from` on again, to every consumer, which must shrug: through the
   * broker under fresh message ids (its duplicate window would drop the old ones), or straight to
   * the consumers without one. Returns how many events went out.
   */
  async replay(from: number): Promise<{ events: number; mode: "jetstream" | "outbox" }> {
    const { natsUrl, log } = this.options;
    const broker = natsUrl
      ? (this.broker ?? (await JetStreamBroker.connect({ url: natsUrl, stream: this.options.stream, duplicateWindowMs: this.options.duplicateWindowMs, log })))
      : null;
    const run = newId("replay");
    let events = 0;
    try {
      for (let next = from; ;) {
        const page = await eventsFrom(this.sql, next, 500);
        if (broker) for (const event of page) await broker.publish(event, `${event.id}:${run}`);
        else {
          for (let i = 0; i < page.length; i += BATCH) {
            for (const consumer of this.consumers) {
              const failed = (await this.handler(consumer)(page.slice(i, i + BATCH))).find((fate) => typeof fate !== "string");
              if (failed) throw failed;
            }
          }
        }
        events += page.length;
        if (page.length < 500) break;
        next = page[page.length - 1]!.sequence + 1;
      }
    } finally {
      if (broker && broker !== this.broker) await broker.close();
    }
    log.info({ from, events, run }, "events replayed");
    return { events, mode: this.mode };
  }

  private chosen(): Consumer[] {
    return this.consumers.filter((consumer) => this.options.run.has(consumer.name));
  }

  private handler(consumer: Consumer) {
    return (events: OutboxEvent[]) => consumeAll(this.calls, this.sql, consumer, events);
  }

  /**
   * A JetStream consumer applies the outbox's own copy of each message's event (see stored-copy.ts);
   * a message whose id the outbox does not hold is dropped (acked: it would fail the same way on
   * every delivery). A database away fails the batch, and its messages are delivered again.
   */
  private fromOutbox(consumer: Consumer) {
    const handle = this.handler(consumer);
    return async (deliveries: Delivery[]): Promise<ReadonlyMap<Delivery, unknown>> => {
      const copies = await storedCopies(
        this.sql,
        deliveries.map((d) => d.event),
      );
      const known: { delivery: Delivery; event: OutboxEvent }[] = [];
      deliveries.forEach((delivery, i) => {
        const copy = copies[i];
        const seen = { consumer: consumer.name, eventId: delivery.event.id.slice(0, 64), streamSeq: delivery.streamSeq };
        if (!copy) return void this.options.log.warn(seen, "jetstream message names no event of the outbox; dropped");
        if (copy.altered) this.options.log.warn(seen, "jetstream message differs from the outbox's event; the outbox's is applied");
        known.push({ delivery, event: copy.event });
      });
      const fates = await handle(known.map((k) => k.event));
      if (fates.some((fate) => typeof fate === "string")) this.options.afterCommit?.();
      const failed = new Map<Delivery, unknown>();
      fates.forEach((fate, i) => typeof fate === "string" || failed.set(known[i]!.delivery, fate));
      return failed;
    };
  }

  private connect(url: string): void {
    const { log } = this.options;
    JetStreamBroker.connect({ url, stream: this.options.stream, duplicateWindowMs: this.options.duplicateWindowMs, log }).then(
      (broker) => {
        if (this.stopped) return void broker.close();
        this.broker = broker;
        for (const consumer of this.chosen()) {
          this.running.push(broker.consumeBatches(consumer.name, this.fromOutbox(consumer), { ackWaitMs: this.options.ackWaitMs }));
        }
        log.info({ stream: this.options.stream }, "event workers on JetStream");
      },
      (error: unknown) => {
        log.warn({ err: error }, "NATS unreachable: events wait in the outbox; trying again");
        if (!this.stopped) this.connecting = setTimeout(() => this.connect(url), 2_000).unref();
      },
    );
  }
}
