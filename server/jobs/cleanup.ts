import { statement, type Sql } from "../db/sql";
import type { Job } from "./scheduler";

export const CLEANUP = "cleanup";

const MIN_PAUSE_MS = 20;

export interface CleanupOptions {
  intervalMs: number;
  /** Rows per statement: each batch is one short statement, so requests interleave between them. */
  batch: number;
  /**
   * While more is left, the share of the time it works: after each run, it leaves (1 / share − 1)
   * times as long as the run took before the next, so a backlog costs requests a bounded share of
   * the database (on the embedded one, of its one connection) however large it is.
   */
  share: number;
  requestLogRetentionDays: number;
  eventsRetentionDays: number;
}

// Expired records whose outcome is stored, or that never passed a recovery point. A record stopped
// past one is its payment's or refund's only way to finish: kept until it completes (the reaper
// sees to that), however old.
const RECORDS = statement(
  "cleanup_records",
  `DELETE FROM idempotency_records WHERE id IN (
     SELECT id FROM idempotency_records
      WHERE expires_at <= now() AND (state = 'completed' OR recovery_point IS NULL) AND (state <> 'in_progress' OR locked_until <= now())
      ORDER BY expires_at LIMIT $1::int FOR UPDATE SKIP LOCKED)`,
);
const REQUEST_LOG = statement(
  "cleanup_request_log",
  `DELETE FROM request_log WHERE id IN (SELECT id FROM request_log WHERE at < now() - $2::float8 * interval '1 day' ORDER BY at LIMIT $1::int)`,
);
// The request log's rollup (the dashboard's windows, a day at most) is kept as long as the log.
const REQUEST_TOTALS = statement(
  "cleanup_request_totals",
  `DELETE FROM request_totals WHERE ctid IN (
     SELECT ctid FROM request_totals WHERE width IN (10, 60, 900) AND bucket < now() - $2::float8 * interval '1 day' ORDER BY bucket LIMIT $1::int)`,
);
const WEBHOOK_EVENTS = statement(
  "cleanup_webhook_events",
  `DELETE FROM webhook_events WHERE id IN (
     SELECT id FROM webhook_events WHERE received_at < now() - $2::float8 * interval '1 day' ORDER BY received_at LIMIT $1::int FOR UPDATE SKIP LOCKED)`,
);
// The inboxes there are (a consumer's, and its versions' `name@vN`), by a skip scan of the primary key.
const INBOXES = statement(
  "cleanup_inboxes",
  `WITH RECURSIVE names AS (
     (SELECT consumer FROM consumer_inbox ORDER BY consumer LIMIT 1)
     UNION ALL
     SELECT (SELECT i.consumer FROM consumer_inbox i WHERE i.consumer > names.consumer ORDER BY i.consumer LIMIT 1) FROM names WHERE names.consumer IS NOT NULL)
   SELECT n.consumer, coalesce(s.safe_sequence, 0)::text AS safe
     FROM names n LEFT JOIN consumer_state s ON s.consumer = split_part(n.consumer, '@', 1)
    WHERE n.consumer IS NOT NULL`,
);
// Only below the consumer's safe point: a copy of such an event is dropped by the safe point itself
// (see `receive`), so its inbox row is no longer needed to drop it.
const INBOX = statement(
  "cleanup_inbox",
  `DELETE FROM consumer_inbox WHERE consumer = $1 AND event_id IN (
     SELECT event_id FROM consumer_inbox WHERE consumer = $1 AND applied_at < now() - $4::float8 * interval '1 day' AND sequence <= $2::bigint
      ORDER BY applied_at LIMIT $3::int)`,
);

/**
 * The scheduled cleanup: every table that grows with traffic, deleted in bounded batches. Each run
 * takes one batch from each table and, while any is left, runs again after a pause; the counts go
 * to the job's totals (the dashboard) and to metrics.
 */
export function cleanupJob(sql: Sql, options: CleanupOptions): Job {
  const { batch } = options;
  return {
    name: CLEANUP,
    intervalMs: options.intervalMs,
    async run() {
      const started = performance.now();
      const counts: Record<string, number> = {
        idempotency_records: await sql.count(RECORDS, [batch]),
        request_log: await sql.count(REQUEST_LOG, [batch, options.requestLogRetentionDays]),
        request_totals: await sql.count(REQUEST_TOTALS, [batch, options.requestLogRetentionDays]),
        webhook_events: await sql.count(WEBHOOK_EVENTS, [batch, options.eventsRetentionDays]),
        consumer_inbox: 0,
      };
      let inboxFull = false;
      for (const { consumer, safe } of await sql.rows<{ consumer: string; safe: string }>(INBOXES)) {
        const deleted = await sql.count(INBOX, [consumer, safe, batch, options.eventsRetentionDays]);
        counts.consumer_inbox! += deleted;
        inboxFull ||= deleted === batch;
      }
      const more = inboxFull || [counts.idempotency_records, counts.request_log, counts.request_totals, counts.webhook_events].some((n) => n === batch);
      const pauseMs = Math.max(MIN_PAUSE_MS, (performance.now() - started) * (1 / options.share - 1));
      return { more, counts, pauseMs };
    },
  };
}
