import { statement, type Sql } from "../db/sql";
import { REFUSALS } from "../webhooks/movements";
import { providerSummarySchema, WINDOWS, type DashboardWindow, type ProviderSummary, type RECORD_STATES } from "./schema";
import { DISPLAY_STATE } from "./timeline";

export interface Summary {
  requests: number;
  executed: number;
  replayed: number;
  conflicts: number;
  mismatches: number;
  rejected: number;
  failed: number;
  /** replayed / (executed + replayed): how often a retry found its answer already stored. */
  replayRate: number;
  /** Duplicates that did not execute again: replays and in-flight conflicts. */
  duplicatesPrevented: number;
  /** Amounts of successful replays, by currency: charges the layer kept from happening twice. */
  moneyProtected: { currency: string; amount: number }[];
}

/** The merchant every request is also counted under in `request_totals`: the all-merchants view reads one row per bucket. */
const EVERY_MERCHANT = "*";

/**
 * The dashboard's one merchant filter, on a column that holds a merchant's id (`request_log.merchant_id`,
 * `idempotency_records.scope`) and against `$1`: that merchant's rows, or (`every`, `$1` NULL) every merchant's.
 * Event consumers claim keys and log requests under `consumer:<name>` in the same columns
 * (server/events/consumer.ts): theirs are the Events panel's. `request_totals` says the same with
 * `via = 'merchant'`, set by its trigger. Two texts, so each is a statement with its own plan: the
 * `(merchant_id, at)` index for one merchant, `(at)` for all.
 */
function ofMerchant(column: string, every: boolean): string {
  return every ? `$1::text IS NULL AND ${column} NOT LIKE 'consumer:%'` : `${column} = $1::text`;
}

/**
 * Merchants' calls only: the provider's webhooks (`via = 'webhook'`; NULL in old rows) are the
 * Provider panel's, the consumers' the Events panel's. From `request_totals`, which a trigger on
 * the request history (`request_log`) keeps per bucket of the window's chart width (migration 20261207000000): a 24 h
 * window reads about a hundred buckets, not a day of requests. The window is whole buckets: the
 * one `now() - window` falls in counts whole, so it reaches back up to one bucket further.
 */
const SUMMARY = statement(
  "dashboard_summary",
  `SELECT outcome, currency, sum(requests)::int AS requests, sum(protected)::int AS protected
     FROM request_totals
    WHERE width = $1::int AND via = 'merchant'
      AND bucket > now() - $2::int * interval '1 second' - $1::int * interval '1 second'
      AND merchant_id = $3::text
    GROUP BY outcome, currency`,
);

export async function summary(db: Sql, window: DashboardWindow, merchant?: string): Promise<Summary> {
  const { seconds, bucketSeconds } = WINDOWS[window];
  const totals = await db.rows<{ outcome: string; currency: string; requests: number; protected: number }>(SUMMARY, [
    bucketSeconds,
    seconds,
    merchant ?? EVERY_MERCHANT,
  ]);
  const count = (outcome: string) => totals.filter((t) => t.outcome === outcome).reduce((n, t) => n + t.requests, 0);
  const c = {
    requests: totals.reduce((n, t) => n + t.requests, 0),
    executed: count("executed"),
    replayed: count("replayed"),
    conflicts: count("conflict"),
    mismatches: count("mismatch"),
    rejected: count("rejected"),
    failed: count("failed"),
  };
  const money = new Map<string, number>();
  for (const t of totals) if (t.currency !== "") money.set(t.currency, (money.get(t.currency) ?? 0) + t.protected);
  const fresh = c.executed + c.replayed;
  return {
    ...c,
    replayRate: fresh === 0 ? 0 : c.replayed / fresh,
    duplicatesPrevented: c.replayed + c.conflicts,
    moneyProtected: [...money].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount })),
  };
}

export interface TimeseriesPoint {
  t: string;
  executed: number;
  replayed: number;
  conflict: number;
  mismatch: number;
  rejected: number;
  failed: number;
  replayRate: number | null;
  freshP50: number | null;
  freshP95: number | null;
  freshP99: number | null;
  replayP50: number | null;
  replayP95: number | null;
  replayP99: number | null;
}

/** The histogram's bin k (0-based) holds latencies in [2^((k-12)/4), 2^((k-11)/4)) ms (migration 20261207000000). */
function binMiddle(k: number): number {
  return 2 ** ((k - 11.5) / 4);
}

/** The middle of the bin the p-quantile falls in; null for an empty histogram. */
export function histogramPercentile(histogram: number[], p: number): number | null {
  const total = histogram.reduce((n, c) => n + c, 0);
  if (total === 0) return null;
  let below = 0;
  for (let k = 0; k < histogram.length; k++) {
    below += histogram[k]!;
    if (below >= p * total) return binMiddle(k);
  }
  return binMiddle(histogram.length - 1);
}

function addInto(sum: number[], histogram: number[]): void {
  for (let k = 0; k < histogram.length; k++) sum[k] = (sum[k] ?? 0) + histogram[k]!;
}

const COUNTED = ["executed", "replayed", "conflict", "mismatch", "rejected", "failed"] as const;

/**
 * Per-bucket outcome counts of merchants' calls (no webhooks, as in `summary`) and latency
 * percentiles; every bucket of the window, empty ones too. From `request_totals`, as `summary`:
 * one index range of about a hundred rows; the counts are exact, and a percentile is the middle of
 * its histogram bin (bins a quarter of a doubling wide: within 9 % of the exact value), merged here.
 */
const TIMESERIES = statement(
  "dashboard_timeseries",
  `WITH buckets AS (
     SELECT generate_series(
              date_bin($1::int * interval '1 second', now() - $2::int * interval '1 second', 'epoch'::timestamptz),
              now(), $1::int * interval '1 second') AS t
   )
   SELECT b.t, x.outcome, x.requests::int AS requests, x.latency
     FROM buckets b
     LEFT JOIN request_totals x
       ON x.width = $1::int AND x.bucket = b.t AND x.via = 'merchant'
      -- The window's range again, on the table's side: an index range whatever the join's plan.
      AND x.bucket >= date_bin($1::int * interval '1 second', now() - $2::int * interval '1 second', 'epoch'::timestamptz)
      AND x.merchant_id = $3::text
    ORDER BY b.t`,
);

export async function timeseries(db: Sql, window: DashboardWindow, merchant?: string): Promise<TimeseriesPoint[]> {
  const { seconds, bucketSeconds } = WINDOWS[window];
  const rows = await db.rows<{ t: Date; outcome: string | null; requests: number | null; latency: number[] | null }>(TIMESERIES, [
    bucketSeconds,
    seconds,
    merchant ?? EVERY_MERCHANT,
  ]);
  const points = new Map<number, { t: Date; counts: Record<string, number>; executed: number[]; replayed: number[] }>();
  for (const row of rows) {
    const key = row.t.getTime();
    let point = points.get(key);
    if (!point) points.set(key, (point = { t: row.t, counts: {}, executed: [], replayed: [] }));
    if (row.outcome === null) continue;
    point.counts[row.outcome] = (point.counts[row.outcome] ?? 0) + (row.requests ?? 0);
    if (row.latency && (row.outcome === "executed" || row.outcome === "replayed")) addInto(point[row.outcome], row.latency);
  }
  return [...points.values()].map(({ t, counts, executed, replayed }) => {
    const [e, r, conflict, mismatch, rejected, failed] = COUNTED.map((o) => counts[o] ?? 0) as [number, number, number, number, number, number];
    return {
      t: t.toISOString(),
      executed: e,
      replayed: r,
      conflict,
      mismatch,
      rejected,
      failed,
      replayRate: e + r === 0 ? null : r / (e + r),
      freshP50: histogramPercentile(executed, 0.5),
      freshP95: histogramPercentile(executed, 0.95),
      freshP99: histogramPercentile(executed, 0.99),
      replayP50: histogramPercentile(replayed, 0.5),
      replayP95: histogramPercentile(replayed, 0.95),
      replayP99: histogramPercentile(replayed, 0.99),
    };
  });
}

export type DisplayState = (typeof RECORD_STATES)[number];

export interface RecordRow {
  merchant: string;
  operation: string;
  key: string;
  state: DisplayState;
  /** Requests seen with this key (fresh, replays, conflicts, mismatches). */
  requests: number;
  /** Executions: 1, more after a lease takeover or a retry of a released key. */
  executions: number;
  firstSeen: string;
  lastSeen: string;
  responseStatus: number | null;
  paymentId: string | null;
}

/**
 * How far back the key list looks: the keys of the latest this many requests (plus every key in
 * flight). The dashboard polls the list every second, so it is bounded by the request history's `at`
 * index (or `(merchant_id, at)` with a merchant), never a scan of a million records; a key older
 * than its window still has its timeline (`dashboard.keyTimeline`, by merchant, operation and key).
 */
export const RECORDS_WINDOW = 1000;

function recordsText(every: boolean): string {
  return `WITH seen AS (
       SELECT merchant_id, operation, idempotency_key, max(at) AS at
         FROM (SELECT merchant_id, operation, idempotency_key, at FROM request_log
                WHERE idempotency_key IS NOT NULL AND ${ofMerchant("merchant_id", every)}
                ORDER BY at DESC LIMIT ${RECORDS_WINDOW}) w
        WHERE ($2::text IS NULL OR idempotency_key ILIKE $2::text)
        GROUP BY 1, 2, 3
     ), recent AS (
       -- Newest first, one record at a time, until a page of them passes the state filter: the
       -- whole window is joined only when few do.
       SELECT r.id, greatest(s.at, r.updated_at) AS at
         FROM (SELECT * FROM seen ORDER BY at DESC) s
         JOIN idempotency_records r ON r.scope = s.merchant_id AND r.operation = s.operation AND r.key = s.idempotency_key
        WHERE ($3::text IS NULL OR ${DISPLAY_STATE} = $3::text)
        ORDER BY s.at DESC
        LIMIT $4::int
     ), candidates AS (
       SELECT id, at FROM recent
       UNION ALL
       -- In flight: a claim whose request is not logged yet (the request history is written with the answer).
       SELECT r.id, r.updated_at FROM idempotency_records r
        WHERE r.state = 'in_progress' AND ${ofMerchant("r.scope", every)} AND ($2::text IS NULL OR r.key ILIKE $2::text)
     ), picked AS (
       SELECT r.*, c.at AS seen_at
         FROM (SELECT DISTINCT ON (id) id, at FROM candidates ORDER BY id, at DESC) c
         JOIN idempotency_records r ON r.id = c.id
        WHERE ($3::text IS NULL OR ${DISPLAY_STATE} = $3::text)
        ORDER BY c.at DESC
        LIMIT $4::int
     )
     SELECT r.scope AS merchant, r.operation, r.key, ${DISPLAY_STATE} AS state,
            coalesce(l.n, 0)::int AS requests, r.executions,
            coalesce(l.first_seen, r.created_at) AS "firstSeen", coalesce(l.last_seen, r.updated_at) AS "lastSeen",
            r.response_status AS "responseStatus", r.resource_id AS "paymentId"
       FROM picked r
       LEFT JOIN LATERAL (
         SELECT count(*) AS n, min(at) AS first_seen, max(at) AS last_seen
           FROM request_log
          WHERE merchant_id = r.scope AND operation = r.operation AND idempotency_key = r.key
       ) l ON true
      ORDER BY "lastSeen" DESC`;
}

const RECORDS_OF_ONE = statement("dashboard_records_of_merchant", recordsText(false));
const RECORDS_OF_ALL = statement("dashboard_records", recordsText(true));

export async function records(db: Sql, filter: { merchant?: string; state?: DisplayState; search?: string; limit: number }): Promise<RecordRow[]> {
  const m = filter.merchant ?? null;
  const state = filter.state ?? null;
  const search = filter.search?.trim() ? `%${filter.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const rows = await db.rows<Omit<RecordRow, "firstSeen" | "lastSeen"> & { firstSeen: Date; lastSeen: Date }>(m === null ? RECORDS_OF_ALL : RECORDS_OF_ONE, [
    m,
    search,
    state,
    filter.limit,
  ]);
  return rows.map((r) => ({ ...r, firstSeen: r.firstSeen.toISOString(), lastSeen: r.lastSeen.toISOString() }));
}

// By request_log_webhook_at_idx: the webhooks' rows of the window only, not every request's.
const PROVIDER_REQUESTS = statement(
  "dashboard_provider_requests",
  `SELECT count(*)::int AS received,
          count(*) FILTER (WHERE outcome = 'replayed')::int AS replayed,
          count(*) FILTER (WHERE outcome = 'rejected')::int AS rejected
     FROM request_log
    WHERE via = 'webhook' AND at > now() - $1::int * interval '1 second'`,
);

// By the partial index of what is still waiting: a handful of rows, whatever the table's size.
const PROVIDER_AWAITING = statement("dashboard_provider_awaiting", "SELECT count(*)::int AS count FROM webhook_events WHERE awaiting");

const PROVIDER_EVENTS = statement(
  "dashboard_provider_events",
  `SELECT applied, note, count(*)::int AS count
     FROM webhook_events
    WHERE received_at > now() - $1::int * interval '1 second'
    GROUP BY applied, note
    ORDER BY applied DESC, count DESC, note`,
);

const PROVIDER_REFUNDS = statement(
  "dashboard_provider_refunds",
  `SELECT origin, count(*)::int AS count
     FROM refunds
    WHERE status = 'succeeded' AND created_at > now() - $1::int * interval '1 second'
    GROUP BY origin
    ORDER BY origin`,
);

/** The provider's webhooks over the window: not per merchant, as the provider signs for all of them. */
export async function provider(db: Sql, window: DashboardWindow): Promise<ProviderSummary> {
  const seconds = WINDOWS[window].seconds;
  const [[requests], events, refunds, [awaiting]] = await Promise.all([
    db.rows<{ received: number; replayed: number; rejected: number }>(PROVIDER_REQUESTS, [seconds]),
    db.rows<{ applied: boolean; note: string | null; count: number }>(PROVIDER_EVENTS, [seconds]),
    db.rows<{ origin: string; count: number }>(PROVIDER_REFUNDS, [seconds]),
    db.rows<{ count: number }>(PROVIDER_AWAITING),
  ]);
  const notApplied = events.filter((e) => !e.applied);
  const refusals: readonly string[] = REFUSALS;
  return providerSummarySchema.parse({
    ...requests,
    applied: events.filter((e) => e.applied).reduce((n, e) => n + e.count, 0),
    notApplied: notApplied.map(({ note, count }) => ({ note, count })),
    refused: notApplied.filter((e) => e.note !== null && refusals.includes(e.note)).reduce((n, e) => n + e.count, 0),
    awaiting: awaiting?.count ?? 0,
    refunds,
  });
}
