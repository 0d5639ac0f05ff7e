import { prisma } from "../db/client";
import { env } from "../env";
import { logger } from "./logger";
import type { Outcome } from "./metrics";

/** One idempotent request, as the dashboard's history keeps it. */
export interface RequestLogEntry {
  /** When the request arrived (the app's clock): timelines order attempts by arrival. */
  at: Date;
  merchantId?: string;
  operation: string;
  key?: string;
  outcome: Outcome;
  status: number;
  latencyMs: number;
  /** The money at stake (a replay of it is money protected from a second charge). */
  amount?: number;
  currency?: string;
}

const FLUSH_EVERY_MS = 250;
const MAX_BUFFER = 500;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Buffers entries and writes them in one multi-row INSERT every 250 ms, off the request path: a
 * request never waits on its own log row, and the dashboard is at most a quarter second behind.
 * Entries still buffered when a process dies are lost; the Prometheus counters are not.
 */
class RequestLogWriter {
  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;

  add(entry: RequestLogEntry): void {
    if (this.buffer.length >= MAX_BUFFER) return; // the database is far behind: shed history, not requests
    this.buffer.push(entry);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  async flush(): Promise<void> {
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return;
    try {
      const db = await prisma();
      await db.requestLog.createMany({
        data: batch.map((e) => ({
          at: e.at,
          merchantId: e.merchantId ?? null,
          operation: e.operation,
          idempotencyKey: e.key ?? null,
          outcome: e.outcome,
          status: e.status,
          latencyMs: e.latencyMs,
          amount: e.amount ?? null,
          currency: e.currency ?? null,
        })),
      });
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        await db.$executeRaw`DELETE FROM request_log WHERE at < now() - ${env.REQUEST_LOG_RETENTION_DAYS}::int * interval '1 day'`;
      }
    } catch (error) {
      logger.warn({ err: error, lost: batch.length }, "request log write failed");
    }
  }
}

const holder = globalThis as typeof globalThis & { __oncepayRequestLog?: RequestLogWriter };
const writer = (holder.__oncepayRequestLog ??= new RequestLogWriter());

export function logRequest(entry: RequestLogEntry): void {
  writer.add(entry);
}
