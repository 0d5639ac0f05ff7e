import { z } from "zod";
import { statement, type Sql } from "../db/sql";

export const consumerStatsSchema = z.object({
  name: z.string(),
  /** Events it applied, each once (counted as it applies them: its inbox is cleaned up below its safe point). */
  applied: z.number(),
  /** Copies dropped by its inbox or its safe point (a batch counts them in its own transaction). */
  duplicates: z.number(),
  /** The highest sequence applied. */
  watermark: z.number(),
  lagEvents: z.number(),
  /** Age of the oldest event it has not applied; 0 when caught up. */
  lagSeconds: z.number(),
  appliedAt: z.string().nullable(),
});

export const eventsSummarySchema = z.object({
  mode: z.enum(["jetstream", "outbox"]),
  produced: z.number(),
  lastSequence: z.number(),
  /** Null without a broker: consumers read the outbox. */
  published: z.number().nullable(),
  /** The relay's copies the broker's duplicate window dropped. */
  brokerDuplicates: z.number().nullable(),
  consumers: z.array(consumerStatsSchema),
});
export type EventsSummary = z.infer<typeof eventsSummarySchema>;

// From the totals the outbox's own trigger keeps (migration 20261207000000): a handful of stripes,
// not a count over every event ever produced; the last sequence by the primary key.
const OUTBOX = statement(
  "events_outbox_stats",
  `SELECT coalesce(sum(produced), 0)::float8 AS produced,
          coalesce((SELECT sequence FROM events ORDER BY sequence DESC LIMIT 1), 0)::float8 AS last,
          coalesce(sum(published), 0)::float8 AS published, coalesce(sum(duplicates), 0)::float8 AS duplicates
     FROM event_totals`,
);
// Lag from the consumer's safe point on: everything at or below it is applied. Applied is the
// consumer's own count: its inbox loses rows to the cleanup once they are below the safe point.
const CONSUMER = statement(
  "events_consumer_stats",
  `SELECT coalesce(s.duplicates, 0)::float8 AS duplicates, coalesce(s.watermark, 0)::float8 AS watermark, s.applied_at,
          coalesce(s.applied, 0)::float8 AS applied,
          lag.events::float8 AS lag_events, coalesce(extract(epoch FROM clock_timestamp() - lag.oldest), 0)::float8 AS lag_seconds
     FROM (SELECT 1) one
     LEFT JOIN consumer_state s ON s.consumer = $2
     CROSS JOIN LATERAL (SELECT count(*) AS events, min(e.created_at) AS oldest FROM events e
                          WHERE e.sequence > coalesce(s.safe_sequence, 0)
                            AND NOT EXISTS (SELECT 1 FROM consumer_inbox i WHERE i.consumer = $1 AND i.sequence > coalesce(s.safe_sequence, 0)
                                              AND i.sequence = e.sequence AND i.event_id = e.id)) lag`,
);

interface ConsumerRow {
  duplicates: number;
  watermark: number;
  applied_at: Date | null;
  applied: number;
  lag_events: number;
  lag_seconds: number;
}

/** The event path at a glance: produced, published, and per consumer applied, dropped and behind. */
export async function eventsSummary(sql: Sql, mode: EventsSummary["mode"], consumers: readonly string[]): Promise<EventsSummary> {
  const [outbox] = await sql.rows<{ produced: number; last: number; published: number; duplicates: number }>(OUTBOX);
  const stats = [];
  for (const name of consumers) {
    const [row] = await sql.rows<ConsumerRow>(CONSUMER, [name, name]);
    stats.push(toStats(name, row!));
  }
  return {
    mode,
    produced: outbox!.produced,
    lastSequence: outbox!.last,
    published: mode === "jetstream" ? outbox!.published : null,
    brokerDuplicates: mode === "jetstream" ? outbox!.duplicates : null,
    consumers: stats,
  };
}

/**
 * How far an inbox of its own (a projection version's, say) is behind, counted from `consumer`'s
 * safe point on, as a consumer's lag is; seconds unrounded.
 */
export async function inboxLag(sql: Sql, inbox: string, consumer: string): Promise<{ lagEvents: number; lagSeconds: number }> {
  const [row] = await sql.rows<ConsumerRow>(CONSUMER, [inbox, consumer]);
  return { lagEvents: row!.lag_events, lagSeconds: row!.lag_seconds };
}

function toStats(name: string, row: ConsumerRow): z.infer<typeof consumerStatsSchema> {
  return {
    name,
    applied: row.applied,
    duplicates: row.duplicates,
    watermark: row.watermark,
    lagEvents: row.lag_events,
    lagSeconds: Math.round(row.lag_seconds * 10) / 10,
    appliedAt: row.applied_at?.toISOString() ?? null,
  };
}
