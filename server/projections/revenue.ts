import { statement, type Sql } from "../db/sql";
import type { Consumer } from "../events/consumer";
import type { OutboxEvent } from "../events/schema";
import { EventType } from "../payments/events";

export const REVENUE = "revenue";

export const VersionState = { Live: "live", Building: "building", Retired: "retired" } as const;

/** A version's own inbox: which events it holds, so live applies and a rebuild never count one twice. */
export const versionInbox = (version: number) => `${REVENUE}@v${version}`;

// One statement applies events to a version, for the live consumer (a batch's events: `only`) and
// for a rebuild (a range): those not in the version's inbox yet are put there, and their sums added
// per merchant, currency and day. Amounts are signed as the ledger has them, so net is the ledger's
// sum. Days are upserted in one order, so two transactions touching the same days lock them in the
// same order, and one waits for the other rather than deadlocking. Two statements, not one with an
// optional filter: a generic plan with `$6 IS NULL OR …` made the rebuild several times slower.
const applySql = (only: string) =>
  `WITH todo AS (
     SELECT e.id, e.sequence, e.merchant_id, e.type, e.created_at, e.data FROM events e
      WHERE e.sequence > $2::bigint AND e.sequence <= $3::bigint${only}
        AND NOT EXISTS (SELECT 1 FROM consumer_inbox i WHERE i.consumer = $1 AND i.sequence > $2::bigint AND i.sequence = e.sequence AND i.event_id = e.id)
      ORDER BY e.sequence LIMIT $4::int),
   fresh AS (
     INSERT INTO consumer_inbox (consumer, event_id, sequence) SELECT $1, id, sequence FROM todo
     ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id),
   moves AS (
     SELECT t.merchant_id, t.data->'payment'->>'currency' AS currency, (t.created_at AT TIME ZONE 'UTC')::date AS day,
            CASE WHEN t.type = '${EventType.PaymentSucceeded}' THEN (t.data->>'amount')::bigint ELSE 0 END AS gross,
            CASE WHEN t.type = '${EventType.RefundSucceeded}' THEN -(t.data->>'amount')::bigint ELSE 0 END AS refunds,
            CASE WHEN t.type = '${EventType.DisputeCreated}' THEN -(t.data->>'amount')::bigint ELSE 0 END AS disputes,
            CASE WHEN t.type = '${EventType.PaymentSucceeded}' THEN 1 ELSE 0 END AS count
       FROM todo t JOIN fresh f ON f.event_id = t.id
      WHERE t.type <> '${EventType.PaymentFailed}'),
   upsert AS (
     INSERT INTO revenue_daily (version, merchant_id, currency, day, gross, refunds, disputes, net, count)
     SELECT $5::int, merchant_id, currency, day, sum(gross), sum(refunds), sum(disputes), sum(gross) - sum(refunds) - sum(disputes), sum(count)
       FROM moves GROUP BY merchant_id, currency, day ORDER BY merchant_id, currency, day
     ON CONFLICT (version, merchant_id, currency, day) DO UPDATE SET
       gross = revenue_daily.gross + EXCLUDED.gross, refunds = revenue_daily.refunds + EXCLUDED.refunds,
       disputes = revenue_daily.disputes + EXCLUDED.disputes, net = revenue_daily.net + EXCLUDED.net,
       count = revenue_daily.count + EXCLUDED.count
     RETURNING 1)
   SELECT (SELECT count(*) FROM fresh)::int AS applied, (SELECT max(sequence) FROM todo) AS last, (SELECT count(*) FROM upsert)::int AS days`;
const APPLY_RANGE = statement("revenue_apply", applySql(""));
const APPLY_EVENTS = statement("revenue_apply_events", applySql(" AND e.sequence = ANY($6::bigint[])"));

/**
 * Applies the events in (after, upto] that `version` lacks, at most `limit`, or of those only the
 * `sequences` given; what it applied and the last sequence it looked at.
 */
export async function applyToVersion(tx: Sql, version: number, range: { after: number; upto: number; limit: number; sequences?: readonly number[] }) {
  const values = [versionInbox(version), range.after, range.upto, range.limit, version];
  const [row] = await tx.rows<{ applied: number; last: string | null }>(
    range.sequences ? APPLY_EVENTS : APPLY_RANGE,
    range.sequences ? [...values, range.sequences] : values,
  );
  return { applied: row?.applied ?? 0, last: row?.last == null ? null : Number(row.last) };
}

// FOR SHARE: a swap (FOR UPDATE) waits for applies in flight and they wait for it, so no event is
// applied to a version the swap has just retired and missed by the one it made live.
const TARGETS = statement(
  "revenue_targets",
  `SELECT version FROM revenue_versions WHERE state IN ('${VersionState.Live}', '${VersionState.Building}') ORDER BY version FOR SHARE`,
);

/** The live projection consumer: each event goes to the live version and to one being rebuilt. */
export const revenueConsumer: Consumer = {
  name: REVENUE,
  apply: (tx, event) => applyLive(tx, [event]),
  applyAll: applyLive,
};

// A batch in one statement per version: its events by sequence, read from `events`, which holds them as they are.
async function applyLive(tx: Sql, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  const sequences = events.map((e) => e.sequence);
  const range = { after: Math.min(...sequences) - 1, upto: Math.max(...sequences), limit: sequences.length, sequences };
  for (const { version } of await tx.rows<{ version: number }>(TARGETS)) await applyToVersion(tx, version, range);
}

export interface RevenueDay {
  merchant: string;
  currency: string;
  day: string;
  gross: number;
  refunds: number;
  disputes: number;
  net: number;
  count: number;
}

// One statement: the swap is one committed UPDATE, so a read sees the old version or the new, whole.
const LIVE_DAYS = statement(
  "revenue_live_days",
  `SELECT d.merchant_id AS merchant, d.currency, to_char(d.day, 'YYYY-MM-DD') AS day, d.gross::float8 AS gross, d.refunds::float8 AS refunds,
          d.disputes::float8 AS disputes, d.net::float8 AS net, d.count, v.version
     FROM revenue_daily d JOIN revenue_versions v ON v.version = d.version AND v.state = '${VersionState.Live}'
    WHERE ($1::text IS NULL OR d.merchant_id = $1) AND d.day >= (now() AT TIME ZONE 'UTC')::date - $2::int
    ORDER BY d.day, d.merchant_id, d.currency`,
);

/** The live version's days, the last `days` of them; for one merchant or all. */
export async function liveRevenue(sql: Sql, merchantId: string | null, days: number): Promise<RevenueDay[]> {
  return sql.rows<RevenueDay>(LIVE_DAYS, [merchantId, days]);
}
