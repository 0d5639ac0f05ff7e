import { EVENT_COLUMNS, type EventRow } from "../events";
import type { Queryable } from "../store";
import type { PostOutcome } from "./post";

/** Idempotent: a restart finds its endpoint and carries on from its cursor. */
export async function registerEndpoint(db: Queryable, url: string): Promise<void> {
  await db.query("INSERT INTO webhook_endpoints (url, after_seq) VALUES ($1, (SELECT COALESCE(max(seq), 0) FROM events)) ON CONFLICT (url) DO NOTHING", [url]);
}

export interface DueEvent {
  row: EventRow;
  /** Attempts already made (and possibly interrupted by a crash). */
  attempts: number;
}

/** Unsettled events whose next attempt is due, oldest first, leaving out those already in flight. */
export async function dueEvents(db: Queryable, url: string, now: number, limit: number, inFlight: string[]): Promise<DueEvent[]> {
  const columns = EVENT_COLUMNS.split(", ")
    .map((c) => `e.${c}`)
    .join(", ");
  const { rows } = await db.query<EventRow & { attempts: number }>(
    `SELECT ${columns}, COALESCE(d.attempts, 0) AS attempts
     FROM events e
     JOIN webhook_endpoints w ON w.url = $1
     LEFT JOIN deliveries d ON d.endpoint = $1 AND d.event_id = e.id
     WHERE e.seq > w.after_seq AND d.delivered_at IS NULL AND d.failed_at IS NULL
       AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $2)
       AND NOT (e.id = ANY($3::text[]))
     ORDER BY e.seq LIMIT $4`,
    [url, now, inFlight, limit],
  );
  return rows.map(({ attempts, ...row }) => ({ row, attempts }));
}

/** Written before the POST: if the simulator dies mid-flight, the attempt counts and the retry waits its backoff. */
export async function beginAttempt(db: Queryable, url: string, eventId: string, attempt: number, nextAttemptAt: number): Promise<void> {
  await db.query(
    `INSERT INTO deliveries (endpoint, event_id, attempts, next_attempt_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (endpoint, event_id) DO UPDATE SET attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at`,
    [url, eventId, attempt, nextAttemptAt],
  );
}

export async function settleAttempt(
  db: Queryable,
  url: string,
  eventId: string,
  result: { delivered: boolean; gaveUp: boolean; lastStatus: string; at: number },
) {
  await db.query(
    `UPDATE deliveries SET last_status = $3,
       delivered_at = CASE WHEN $4::boolean THEN $6::bigint ELSE delivered_at END,
       failed_at = CASE WHEN $5::boolean AND delivered_at IS NULL THEN $6::bigint ELSE failed_at END
     WHERE endpoint = $1 AND event_id = $2`,
    [url, eventId, result.lastStatus, result.delivered, result.gaveUp, result.at],
  );
}

/** A manual resend that got through settles a delivery still pending; it never un-settles one. */
export async function settleByResend(db: Queryable, url: string, eventId: string, lastStatus: string, at: number): Promise<void> {
  await db.query(
    `INSERT INTO deliveries (endpoint, event_id, attempts, next_attempt_at, delivered_at, last_status) VALUES ($1, $2, 0, $3, $3, $4)
     ON CONFLICT (endpoint, event_id) DO UPDATE SET delivered_at = COALESCE(deliveries.delivered_at, $3), last_status = $4
     WHERE deliveries.failed_at IS NULL`,
    [url, eventId, at, lastStatus],
  );
}

/** Moves the cursor past every settled event, so the scan only ever reads the unsettled tail. */
export async function advanceCursor(db: Queryable, url: string): Promise<void> {
  await db.query(
    `UPDATE webhook_endpoints w SET after_seq = COALESCE(
       (SELECT min(e.seq) - 1 FROM events e LEFT JOIN deliveries d ON d.endpoint = w.url AND d.event_id = e.id
        WHERE e.seq > w.after_seq AND d.delivered_at IS NULL AND d.failed_at IS NULL),
       (SELECT max(seq) FROM events),
       w.after_seq)
     WHERE url = $1`,
    [url],
  );
}

export interface AttemptRecord {
  event_id: string;
  endpoint: string;
  attempt: number;
  /** Which copy of the attempt (chaos sends 1–3); 0 outside chaos. */
  copy: number;
  manual: boolean;
  status: number | null;
  error: string | null;
  duration_ms: number;
  /** Unix milliseconds. */
  at: number;
}

export async function recordAttempt(db: Queryable, record: Omit<AttemptRecord, "status" | "error" | "duration_ms">, outcome: PostOutcome): Promise<void> {
  await db.query(
    "INSERT INTO delivery_attempts (endpoint, event_id, attempt, copy, manual, status, error, duration_ms, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [
      record.endpoint,
      record.event_id,
      record.attempt,
      record.copy,
      record.manual,
      outcome.status ?? null,
      outcome.error ?? null,
      outcome.durationMs,
      record.at,
    ],
  );
}

export async function listAttempts(db: Queryable, filter: { eventId?: string | undefined }): Promise<AttemptRecord[]> {
  const { rows } = await db.query<AttemptRecord>(
    `SELECT event_id, endpoint, attempt, copy, manual, status, error, duration_ms, at FROM delivery_attempts
     WHERE $1::text IS NULL OR event_id = $1 ORDER BY seq`,
    [filter.eventId ?? null],
  );
  return rows;
}

export async function attemptsSoFar(db: Queryable, url: string, eventId: string): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>("SELECT attempts FROM deliveries WHERE endpoint = $1 AND event_id = $2", [url, eventId]);
  return rows[0]?.attempts ?? 0;
}
