import type { Logger } from "pino";
import type { CallObservation } from "@oncepay/idempotency";
import { statement, type Sql } from "../db/sql";

/** One call, as the dashboard's history keeps it: its observation, less what only the log wants. */
export type RequestLogEntry = Omit<CallObservation, "requestId" | "unexpected">;

const FLUSH_EVERY_MS = 250;
/** 20 000 requests a second: beyond that history is shed rather than memory spent. */
const MAX_BUFFER = 5_000;

// One prepared statement whatever the batch size: each column travels as one array.
const INSERT_BATCH = statement(
  "request_log_insert",
  `INSERT INTO request_log (at, merchant_id, operation, idempotency_key, outcome, status, latency_ms, amount, currency, via, resumed_from)
   SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::real[], $8::int[], $9::text[],
                        $10::text[], $11::text[])`,
);

/**
 * Buffers entries and writes them in one multi-row INSERT every 250 ms, off the request path: a
 * request never waits on its own log row, and the dashboard is at most a quarter second behind.
 * Entries still buffered when a process dies are lost; the Prometheus counters are not.
 */
export class RequestLogWriter {
  constructor(
    private readonly sql: Sql,
    private readonly options: { log: Logger },
  ) {}

  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;

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
      await this.sql.count(INSERT_BATCH, [
        batch.map((e) => e.at),
        batch.map((e) => e.scope ?? null),
        batch.map((e) => e.operation),
        batch.map((e) => e.key ?? null),
        batch.map((e) => e.outcome),
        batch.map((e) => e.status),
        batch.map((e) => e.latencyMs),
        batch.map((e) => numberOr(e.attributes?.amount)),
        batch.map((e) => stringOr(e.attributes?.currency)),
        batch.map((e) => e.via),
        batch.map((e) => e.resumedFrom ?? null),
      ]);
    } catch (error) {
      this.options.log.warn({ err: error, lost: batch.length }, "request log write failed");
    }
  }
}

// The money at stake, as the payment operation's `attributes` give it (server/payments/operation.ts).
const numberOr = (value: unknown): number | null => (typeof value === "number" ? value : null);
const stringOr = (value: unknown): string | null => (typeof value === "string" ? value : null);
