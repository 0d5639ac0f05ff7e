/**
 * History at scale for the benchmarks and for EXPLAIN: `seedScale(sql, { records, entries, events })`
 * adds, with generate_series (a million rows in seconds, not a million round trips):
 *
 * - `records` completed idempotency records (operation `payment.create`, keys `scale-<tag>-<n>`,
 *   a 300-byte stored body, spread over the last 7 days, expiring in a day, or a day ago with
 *   `expired`), and as many `request_log` rows (`requests` to say otherwise), one executed request each
 *   (the log's trigger adds them to the dashboard's `request_totals`);
 * - `entries` ledger entries (`payment` credits, every tenth a `refund` debit; usd, eur, gbp, jpy in
 *   turn), with the balance rollup moved by their sums, exactly as its trigger would have;
 * - `events` outbox events (`payment.succeeded`, published; the outbox's totals moved too) with an
 *   inbox row per event for each consumer in `consumers` (default receipts and revenue), whose safe
 *   points are moved past them: the consumers see them as applied, and never try to apply them.
 *
 * Rows go round-robin to `merchants` (default: every merchant in the table, so migrate and seed the
 * merchants first). Seed a quiet database (before the servers start, or once the consumers have
 * caught up): the safe points jump over the seeded events. Each call tags its rows afresh, so it can
 * be called again to add more. `sql` is anything with pg's `query` (a pg.Client or pg.Pool: the
 * ledger's and the outbox's parts are each one multi-statement text, one transaction on one
 * connection), or a connection string (a client of its own, closed at the end). About 3 minutes
 * for a million of each on a busy 2-core machine.
 */
import pg from "pg";

export interface ScaleSql {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface ScaleCounts {
  records: number;
  entries: number;
  events: number;
}

export interface ScaleOptions extends ScaleCounts {
  /** Request-log rows; defaults to `records`. */
  requests?: number;
  /** Records a day past their TTL (what the cleanup deletes) instead of live ones. */
  expired?: boolean;
  merchants?: string[];
  consumers?: string[];
}

export interface ScaleReport extends ScaleCounts {
  requests: number;
  tag: string;
  merchants: string[];
  ms: number;
}

const DEFAULT_CONSUMERS = ["receipts", "revenue"];
const CURRENCIES = ["usd", "eur", "gbp", "jpy"];

function count(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`seedScale: ${name} must be a non-negative integer, not ${n}`);
  return n;
}

function rowsOf(result: unknown): { id: string }[] {
  return (result as { rows: { id: string }[] }).rows;
}

export async function seedScale(sql: ScaleSql | string, options: ScaleOptions): Promise<ScaleReport> {
  if (typeof sql === "string") {
    const client = new pg.Client({ connectionString: sql });
    await client.connect();
    try {
      return await seedScale(client, options);
    } finally {
      await client.end();
    }
  }
  const started = performance.now();
  const records = count("records", options.records);
  const entries = count("entries", options.entries);
  const events = count("events", options.events);
  const requests = count("requests", options.requests ?? records);
  const merchants = options.merchants ?? rowsOf(await sql.query("SELECT id FROM merchants ORDER BY id")).map((r) => r.id);
  if (!merchants.length) throw new Error("seedScale: no merchants (run the migrations and seed the merchants first)");
  const consumers = options.consumers ?? DEFAULT_CONSUMERS;
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // $1 merchants, $2 n: the merchant of row g is $1[g % n + 1].
  const m = [merchants, merchants.length];
  const list = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(",")}]::text[]`;

  if (records) {
    await sql.query(
      `INSERT INTO idempotency_records (id, scope, operation, key, fingerprint, state, expires_at, executions,
                                        response_status, response_headers, response_body, resource_id, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), ($1::text[])[g % $2::int + 1], 'payment.create', 'scale-' || $3::text || '-' || g, 'fp', 'completed',
              CASE WHEN $5::boolean THEN now() - interval '1 day' ELSE now() + interval '1 day' END, 1,
              201, '{"content-type":"application/json"}', repeat('x', 300), 'pay_' || $3::text || '_' || g, t, t, t
         FROM generate_series(1, $4::int) g, LATERAL (SELECT now() - (g % 604800) * interval '1 second' AS t) at`,
      [...m, tag, records, options.expired ?? false],
    );
  }
  if (requests) {
    await sql.query(
      `INSERT INTO request_log (at, merchant_id, operation, idempotency_key, outcome, status, latency_ms, amount, currency, via)
       SELECT now() - (g % 604800) * interval '1 second', ($1::text[])[g % $2::int + 1], 'payment.create', 'scale-' || $3::text || '-' || g,
              'executed', 201, 5 + (g % 50), 1000 + g % 9000, 'usd', 'rest'
         FROM generate_series(1, $4::int) g`,
      [...m, tag, requests],
    );
  }
  if (entries) {
    // The rollup trigger fires once per row; for a million rows the seed adds their sums itself, in
    // the same transaction, with triggers off for this transaction only (replica role).
    await sql.query(
      `BEGIN;
       SET LOCAL session_replication_role = replica;
       INSERT INTO ledger_entries (merchant_id, currency, amount, source_type, source_id, created_at)
       SELECT (${list(merchants)})[g % ${merchants.length} + 1], (${list(CURRENCIES)})[(g / ${merchants.length}) % ${CURRENCIES.length} + 1],
              CASE WHEN g % 10 = 0 THEN -(100 + g % 900) ELSE 1000 + g % 9000 END,
              CASE WHEN g % 10 = 0 THEN 'refund' ELSE 'payment' END, 'scale-${tag}-' || g,
              now() - (g % 604800) * interval '1 second'
         FROM generate_series(1, ${entries}) g;
       INSERT INTO ledger_balances AS b (merchant_id, currency, stripe, amount, entries)
       SELECT merchant_id, currency, 0, sum(amount), count(*) FROM ledger_entries WHERE source_id LIKE 'scale-${tag}-%' GROUP BY merchant_id, currency
       ON CONFLICT (merchant_id, currency, stripe) DO UPDATE SET amount = b.amount + EXCLUDED.amount, entries = b.entries + EXCLUDED.entries;
       COMMIT;`,
    );
  }
  if (events) {
    // As for the ledger: the outbox's totals moved by the seeded rows at once, triggers off.
    await sql.query(
      `BEGIN;
       SET LOCAL session_replication_role = replica;
       INSERT INTO events (id, merchant_id, type, subject_id, data, created_at, published_at)
       SELECT 'evt_${tag}_' || g, (${list(merchants)})[g % ${merchants.length} + 1], 'payment.succeeded', 'pay_${tag}_' || g,
              jsonb_build_object('amount', 1000, 'payment', jsonb_build_object(
                'id', 'pay_${tag}_' || g, 'amount', 1000, 'currency', 'usd', 'description', NULL, 'customer', NULL,
                'providerPaymentId', NULL, 'status', 'succeeded', 'failureCode', NULL,
                'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'refunds', '[]'::jsonb)),
              clock_timestamp(), now()
         FROM generate_series(1, ${events}) g;
       INSERT INTO event_totals AS t (stripe, produced, published) VALUES (0, ${events}, ${events})
       ON CONFLICT (stripe) DO UPDATE SET produced = t.produced + EXCLUDED.produced, published = t.published + EXCLUDED.published;
       COMMIT;`,
    );
    for (const consumer of consumers) {
      await sql.query(
        `INSERT INTO consumer_inbox (consumer, event_id, sequence)
         SELECT $1::text, id, sequence FROM events WHERE id LIKE 'evt\\_' || $2::text || '\\_%'`,
        [consumer, tag],
      );
      await sql.query(
        `INSERT INTO consumer_state (consumer, watermark, safe_sequence, applied)
         SELECT $1::text, max(sequence), max(sequence), count(*) FROM events WHERE id LIKE 'evt\\_' || $2::text || '\\_%'
         ON CONFLICT (consumer) DO UPDATE SET watermark = GREATEST(consumer_state.watermark, EXCLUDED.watermark),
           safe_sequence = GREATEST(consumer_state.safe_sequence, EXCLUDED.safe_sequence), applied = consumer_state.applied + EXCLUDED.applied`,
        [consumer, tag],
      );
    }
  }
  return { records, entries, events, requests, tag, merchants, ms: Math.round(performance.now() - started) };
}
