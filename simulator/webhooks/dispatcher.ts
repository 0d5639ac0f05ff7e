import { randomInt } from "node:crypto";
import type { Logger } from "pino";
import { findEvent } from "../events";
import type { Queryable } from "../store";
import { backoffAfter, type WebhookConfig } from "./config";
import { advanceCursor, beginAttempt, dueEvents, recordAttempt, registerEndpoint, settleAttempt, settleByResend, type DueEvent } from "./outbox";
import { eventBody } from "./payload";
import { isSuccess, postEvent, type PostOutcome } from "./post";

export interface Dispatcher {
  /** Look at the outbox now rather than at the next poll (called after a write commits). */
  wake(): void;
  /** One immediate extra delivery of an event, outside its schedule; undefined when there is no such event. */
  resend(eventId: string): Promise<PostOutcome | undefined>;
  chaos(): boolean;
  setChaos(enabled: boolean): void;
  /** Stops delivering; attempts cut short stay counted, and are retried by the next start. */
  close(): Promise<void>;
}

// Chaos: 1–3 copies of each delivery, each held back 0–1500 ms, so receivers see duplicates out of order.
const MAX_COPIES = 3;
const MAX_CHAOS_DELAY_MS = 1500;

function sleepUnlessStopped(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
    stop.addEventListener("abort", done, { once: true });
  });
}

const describeOutcome = (o: PostOutcome) => (o.status !== undefined ? String(o.status) : o.error);

/**
 * At-least-once delivery of the `events` outbox to one endpoint. A scan (every poll, on wake, and
 * when a retry falls due) picks due events in `seq` order up to the concurrency limit; each runs on
 * its own, so completions interleave. Progress lives in PGlite and no transaction spans a POST.
 */
export async function startDispatcher(db: Queryable, config: WebhookConfig, log: Logger): Promise<Dispatcher> {
  await registerEndpoint(db, config.url);
  const stop = new AbortController();
  const inFlight = new Map<string, Promise<void>>();
  const retryTimers = new Set<NodeJS.Timeout>();
  let chaos = config.chaos;
  let scanning: Promise<void> | undefined;
  let rescan = false;
  let settledSinceAdvance = false;

  const wake = () => {
    if (stop.signal.aborted) return;
    if (scanning) {
      rescan = true;
      return;
    }
    scanning = scan()
      .catch((error: unknown) => {
        if (!stop.signal.aborted) log.error({ err: error }, "webhook outbox scan failed");
      })
      .finally(() => {
        scanning = undefined;
        if (rescan) wake();
      });
  };

  async function scan(): Promise<void> {
    rescan = false;
    if (settledSinceAdvance) {
      settledSinceAdvance = false;
      await advanceCursor(db, config.url);
    }
    const room = config.concurrency - inFlight.size;
    if (room <= 0 || stop.signal.aborted) return;
    for (const due of await dueEvents(db, config.url, Date.now(), room, [...inFlight.keys()])) {
      if (stop.signal.aborted) return;
      const id = due.row.id;
      const task = deliver(due)
        .catch((error: unknown) => {
          if (!stop.signal.aborted) log.error({ err: error, event: id }, "webhook delivery failed to record");
        })
        .finally(() => {
          inFlight.delete(id);
          wake();
        });
      inFlight.set(id, task);
    }
  }

  function retryAt(at: number) {
    const timer = setTimeout(
      () => {
        retryTimers.delete(timer);
        wake();
      },
      Math.max(0, at - Date.now()),
    );
    retryTimers.add(timer);
  }

  async function deliver({ row, attempts }: DueEvent): Promise<void> {
    const attempt = attempts + 1;
    const nextAttemptAt = Date.now() + backoffAfter(attempt, config);
    await beginAttempt(db, config.url, row.id, attempt, nextAttemptAt);
    const body = eventBody(row);
    const copies = chaos ? randomInt(1, MAX_COPIES + 1) : 1;
    const sendCopy = async (copy: number): Promise<PostOutcome> => {
      if (chaos) await sleepUnlessStopped(randomInt(0, MAX_CHAOS_DELAY_MS + 1), stop.signal);
      const at = Date.now();
      const outcome = await postEvent(config.url, body, config.secret, config.timeoutMs, stop.signal);
      if (!stop.signal.aborted) await recordAttempt(db, { endpoint: config.url, event_id: row.id, attempt, copy, manual: false, at }, outcome);
      return outcome;
    };
    const outcomes = await Promise.all(Array.from({ length: copies }, (_, copy) => sendCopy(copy)));
    if (stop.signal.aborted) return;
    const delivered = outcomes.some(isSuccess);
    const gaveUp = !delivered && attempt >= config.maxAttempts;
    await settleAttempt(db, config.url, row.id, { delivered, gaveUp, lastStatus: outcomes.map(describeOutcome).join(", "), at: Date.now() });
    if (delivered || gaveUp) settledSinceAdvance = true;
    if (gaveUp) log.warn({ event: row.id, type: row.type, attempts: attempt, last: outcomes.map(describeOutcome) }, "webhook delivery given up");
    else if (!delivered) retryAt(nextAttemptAt);
  }

  async function resend(eventId: string): Promise<PostOutcome | undefined> {
    const row = await findEvent(db, eventId);
    if (!row) return undefined;
    const at = Date.now();
    const outcome = await postEvent(config.url, eventBody(row), config.secret, config.timeoutMs, stop.signal);
    await recordAttempt(db, { endpoint: config.url, event_id: row.id, attempt: 0, copy: 0, manual: true, at }, outcome);
    if (isSuccess(outcome)) await settleByResend(db, config.url, row.id, describeOutcome(outcome), Date.now());
    return outcome;
  }

  const poller = setInterval(wake, config.pollMs);
  wake();

  return {
    wake,
    resend,
    chaos: () => chaos,
    setChaos(enabled) {
      chaos = enabled;
      log.info({ chaos }, "webhook chaos mode");
    },
    async close() {
      stop.abort();
      clearInterval(poller);
      for (const timer of retryTimers) clearTimeout(timer);
      await scanning;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
