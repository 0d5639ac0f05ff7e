/**
 * The stored history `npm run bench:scale` measures against: a few statements of
 * `INSERT … SELECT … FROM generate_series`, each row's values derived from its number `g` (the same
 * `g` gives the same merchant, currency, amount, time and ids in every table), then VACUUM ANALYZE.
 *
 * The shape: `P = max(records, entries, events)` payments over four weeks, oldest first, ending 25
 * hours ago; 70 % alice, 15 % bob, the rest three merchants with no keys; 80 % usd. Every 30th
 * movement is a partial refund. Payment g has:
 * - (g ≤ records) its completed `payment.create` record, with the stored 201 and the request, its
 *   recovery points, and a 24 h TTL: all of them expired, a backlog for the cleanup;
 * - (g ≤ entries) its ledger entry: a credit, or a refund's debit;
 * - (g ≤ events) its outbox event (`payment.succeeded` or `refund.succeeded`, published), in the
 *   inbox of each consumer (`receipts`, `revenue` and the live revenue version's `revenue@v1`),
 *   with each consumer's state past it and the revenue projection's days summed from it.
 * Beside them, the dashboard's history (`request_log`) of the last 7 days (its retention): a
 * quarter as many rows as records, naming the newest records' keys.
 * Receipts (documents per payment) are not stored: nothing measured here reads them.
 */
import { statement, type Sql } from "../../server/db/sql";

export interface ScaleSizes {
  records: number;
  entries: number;
  events: number;
}

/**
 * The demo's two (a server started on the database afterwards sets their keys) and three more,
 * stored as merchants whose keys are no longer configured.
 */
const MERCHANT_IDS = ["alice", "bob", "carol", "dave", "erin"];

// Per g (and `$2::int`, P): a row's values, the same in every statement. `hashint4` spreads g
// without a random generator, so the tables agree with each other.
const SHAPE = `
  SELECT g,
         CASE WHEN r.m < 70 THEN 'alice' WHEN r.m < 85 THEN 'bob' WHEN r.m < 93 THEN 'carol' WHEN r.m < 97 THEN 'dave' ELSE 'erin' END AS merchant,
         CASE WHEN r.c < 80 THEN 'usd' WHEN r.c < 92 THEN 'eur' WHEN r.c < 98 THEN 'gbp' ELSE 'jpy' END AS currency,
         (100 + (r.a % 200) * (1 + r.a % 97))::int AS amount,
         g % 30 = 0 AS refunded,
         CASE WHEN r.a % 3 = 0 THEN NULL ELSE 'Order #' || (100000 + g) END AS description,
         CASE WHEN r.a % 4 = 0 THEN NULL ELSE 'cus_' || left(md5('cus' || (r.a % 5000)), 14) END AS customer,
         now() - interval '25 hours' - (($2::int - g)::float8 / $2::int) * interval '27 days' - (r.a % 1000) * interval '1 millisecond' AS at,
         'pay_' || translate(left(encode(sha256(convert_to('pay' || g, 'UTF8')), 'base64'), 24), '+/', 'xZ') AS pay_id,
         're_' || translate(left(encode(sha256(convert_to('re' || g, 'UTF8')), 'base64'), 24), '+/', 'xZ') AS refund_id,
         'pi_' || translate(left(encode(sha256(convert_to('pi' || g, 'UTF8')), 'base64'), 24), '+/', 'xZ') AS intent_id,
         'evt_' || translate(left(encode(sha256(convert_to('evt' || g, 'UTF8')), 'base64'), 24), '+/', 'xZ') AS event_id,
         md5('rec' || g)::uuid AS record_id,
         md5('key' || g)::uuid::text AS key
    FROM generate_series(1, $1::int) g,
         LATERAL (SELECT (hashint4(g) & 2147483647) % 100 AS m, (hashint4(g + 1000000007) & 2147483647) % 100 AS c,
                         hashint4(g + 2000000011) & 2147483647 AS a) r`;

const MERCHANTS = statement(
  "scale_seed_merchants",
  `INSERT INTO merchants (id, name) SELECT id, initcap(id) FROM unnest($1::text[]) id ON CONFLICT (id) DO NOTHING`,
);

const PAYMENTS = statement(
  "scale_seed_payments",
  `INSERT INTO payments (id, merchant_id, amount, currency, status, description, customer, provider_payment_id, provider_key,
                         amount_refunded, provider_refunded, idempotency_key, idempotency_record_id, created_at)
   SELECT pay_id, merchant, amount, currency, 'succeeded', description, customer, intent_id, 'oncepay_' || record_id,
          CASE WHEN refunded THEN amount / 2 ELSE 0 END, CASE WHEN refunded THEN amount / 2 ELSE 0 END, key, record_id, at
     FROM (${SHAPE}) s ORDER BY g`,
);

const REFUNDS = statement(
  "scale_seed_refunds",
  `INSERT INTO refunds (id, merchant_id, payment_id, amount, status, origin, provider_refund_id, created_at)
   SELECT refund_id, merchant, pay_id, amount / 2, 'succeeded', 'api', 'pyr_' || substr(refund_id, 4), at + interval '2 hours'
     FROM (${SHAPE}) s WHERE refunded ORDER BY g`,
);

// The payment object as the API answers it: the stored response body, and the event's snapshot.
const PAYMENT_JSON = `jsonb_build_object('id', pay_id, 'object', 'payment', 'amount', amount, 'currency', currency, 'status', 'succeeded',
                        'description', description, 'customer', customer, 'idempotencyKey', key,
                        'createdAt', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
const REQUEST_JSON = `jsonb_strip_nulls(jsonb_build_object('amount', amount, 'currency', currency, 'description', description, 'customer', customer))`;

const RECORDS = statement(
  "scale_seed_records",
  `INSERT INTO idempotency_records (id, scope, operation, key, fingerprint, state, expires_at, executions, response_status, response_headers,
                                    response_body, resource_id, input, checkpoints, recovery_point, created_at, updated_at, completed_at)
   SELECT record_id, merchant, 'payment.create', key, encode(sha256(convert_to(${REQUEST_JSON}::text, 'UTF8')), 'hex'), 'completed',
          at + interval '24 hours 350 milliseconds', 1, 201, '{"content-type": "application/json"}',
          ${PAYMENT_JSON}::text, pay_id, ${REQUEST_JSON},
          jsonb_build_object('payment_created', jsonb_build_object('at', at + interval '20 milliseconds', 'value', jsonb_build_object('payment', pay_id)),
                             'charged', jsonb_build_object('at', at + interval '300 milliseconds', 'value', jsonb_build_object('intent', intent_id, 'status', 'succeeded'))),
          'charged', at, at + interval '350 milliseconds', at + interval '350 milliseconds'
     FROM (${SHAPE}) s ORDER BY g`,
);

const LEDGER = statement(
  "scale_seed_ledger",
  `INSERT INTO ledger_entries (merchant_id, currency, amount, source_type, source_id, created_at)
   SELECT merchant, currency, CASE WHEN refunded THEN -(amount / 2) ELSE amount END,
          CASE WHEN refunded THEN 'refund' ELSE 'payment' END, CASE WHEN refunded THEN refund_id ELSE pay_id END,
          CASE WHEN refunded THEN at + interval '2 hours' ELSE at + interval '350 milliseconds' END
     FROM (${SHAPE}) s ORDER BY g`,
);

// One statement, so atomic: the server's consumers never see the events without their inbox rows
// and their state past them (they would apply a million events). The live revenue version holds
// what its inbox says it applied (server/projections/revenue.ts).
const EVENTS = statement(
  "scale_seed_events",
  `WITH ev AS (
     INSERT INTO events (id, merchant_id, type, subject_id, data, created_at, published_at)
     SELECT event_id, merchant, CASE WHEN refunded THEN 'refund.succeeded' ELSE 'payment.succeeded' END,
            CASE WHEN refunded THEN refund_id ELSE pay_id END,
            jsonb_build_object(
              'payment', ${PAYMENT_JSON} - 'object' - 'idempotencyKey' || jsonb_build_object(
                'providerPaymentId', intent_id, 'failureCode', NULL,
                'refunds', CASE WHEN refunded
                             THEN jsonb_build_array(jsonb_build_object('id', refund_id, 'amount', amount / 2,
                                    'createdAt', to_char((at + interval '2 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
                             ELSE '[]'::jsonb END),
              'amount', CASE WHEN refunded THEN -(amount / 2) ELSE amount END)
            || CASE WHEN refunded THEN jsonb_build_object('refund', jsonb_build_object('id', refund_id, 'amount', amount / 2)) ELSE '{}'::jsonb END,
            CASE WHEN refunded THEN at + interval '2 hours' ELSE at + interval '350 milliseconds' END,
            CASE WHEN refunded THEN at + interval '2 hours 40 milliseconds' ELSE at + interval '390 milliseconds' END
       FROM (${SHAPE}) s ORDER BY g
     RETURNING sequence, id, merchant_id, type, data, created_at),
   inbox AS (
     INSERT INTO consumer_inbox (consumer, event_id, sequence, applied_at)
     SELECT c.name, ev.id, ev.sequence, ev.created_at + c.after
       FROM ev CROSS JOIN (VALUES ('receipts', interval '450 milliseconds'), ('revenue', interval '420 milliseconds'),
                                  ('revenue@v1', interval '420 milliseconds')) c(name, after)
     RETURNING 1),
   state AS (
     INSERT INTO consumer_state (consumer, watermark, safe_sequence, applied, applied_at)
     SELECT v.c, max(ev.sequence), max(ev.sequence), count(*), max(ev.created_at) + interval '450 milliseconds'
       FROM ev CROSS JOIN (VALUES ('receipts'), ('revenue')) v(c) GROUP BY v.c
     ON CONFLICT (consumer) DO UPDATE SET watermark = GREATEST(consumer_state.watermark, EXCLUDED.watermark),
       safe_sequence = GREATEST(consumer_state.safe_sequence, EXCLUDED.safe_sequence), applied = consumer_state.applied + EXCLUDED.applied
     RETURNING 1),
   revenue AS (
     INSERT INTO revenue_daily (version, merchant_id, currency, day, gross, refunds, disputes, net, count)
     SELECT 1, merchant_id, data->'payment'->>'currency', (created_at AT TIME ZONE 'UTC')::date,
            sum(CASE WHEN type = 'payment.succeeded' THEN (data->>'amount')::bigint ELSE 0 END),
            sum(CASE WHEN type = 'refund.succeeded' THEN -(data->>'amount')::bigint ELSE 0 END), 0,
            sum((data->>'amount')::bigint), count(*) FILTER (WHERE type = 'payment.succeeded')
       FROM ev GROUP BY 1, 2, 3, 4
     ON CONFLICT (version, merchant_id, currency, day) DO UPDATE SET
       gross = revenue_daily.gross + EXCLUDED.gross, refunds = revenue_daily.refunds + EXCLUDED.refunds,
       net = revenue_daily.net + EXCLUDED.net, count = revenue_daily.count + EXCLUDED.count
     RETURNING 1)
   SELECT (SELECT count(*) FROM inbox) AS inbox, (SELECT count(*) FROM state) AS consumers, (SELECT count(*) FROM revenue) AS days`,
);

// Spread over the last 7 days, newest keys first: most executions, some replays, a few conflicts.
const REQUEST_LOG = statement(
  "scale_seed_request_log",
  `INSERT INTO request_log (at, merchant_id, operation, idempotency_key, outcome, status, latency_ms, amount, currency, via)
   SELECT now() - (($1::int - g)::float8 / $3::int) * interval '7 days', merchant, 'payment.create', key,
          o.outcome, o.status, CASE WHEN o.outcome = 'executed' THEN 40 + (g % 160) ELSE 2 + (g % 9) END,
          amount, currency, CASE WHEN g % 5 = 0 THEN 'trpc' ELSE 'rest' END
     FROM (${SHAPE}) s
     CROSS JOIN LATERAL (SELECT CASE WHEN g % 50 = 0 THEN 'conflict' WHEN g % 10 = 0 THEN 'replayed' ELSE 'executed' END AS outcome) k
     CROSS JOIN LATERAL (SELECT k.outcome, CASE k.outcome WHEN 'conflict' THEN 409 ELSE 201 END AS status) o
    WHERE g > $1::int - $3::int
    ORDER BY g`,
);

const VACUUM = statement(
  "scale_seed_vacuum",
  "VACUUM ANALYZE merchants, payments, refunds, idempotency_records, ledger_entries, events, consumer_inbox, consumer_state, revenue_daily, request_log",
);

// A table's indexes and unique or primary keys, as statements that drop them and make them again;
// not those a foreign key depends on (payments' primary key: refunds point at it).
const INDEXES = statement(
  "scale_seed_indexes",
  `SELECT CASE WHEN c.conname IS NULL THEN format('DROP INDEX %I', i.relname) ELSE format('ALTER TABLE %I DROP CONSTRAINT %I', t.relname, c.conname) END AS drop,
          CASE WHEN c.conname IS NULL THEN pg_get_indexdef(i.oid) ELSE format('ALTER TABLE %I ADD CONSTRAINT %I %s', t.relname, c.conname, pg_get_constraintdef(c.oid)) END AS make
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('p', 'u')
    WHERE t.oid = $1::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.oid)`,
);

/** The statement with its integer parameters written in: a multi-statement text takes none. */
const literal = (s: { text: string }, values: number[]) => s.text.replace(/\$(\d+)::int/g, (_, i: string) => `${Math.trunc(values[Number(i) - 1]!)}::int`);

const NOTHING = { before: [], after: [] };
// The balance rollup's row trigger would update one stripe a million times in one transaction (each
// update walking the row's chain of versions: it ran for minutes). Off for the load, then the
// rollup set from the ledger once, in the same transaction.
const LEDGER_ROLLUP = {
  before: ["ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_rollup"],
  after: [
    "ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_rollup",
    "DELETE FROM ledger_balances",
    `INSERT INTO ledger_balances (merchant_id, currency, stripe, amount, entries)
     SELECT merchant_id, currency, 0, sum(amount), count(*) FROM ledger_entries GROUP BY merchant_id, currency`,
  ],
};

/**
 * Rows appended to `tables` the fast way: their indexes dropped, the rows inserted, the indexes built
 * again by one sort each, all in one transaction (one multi-statement text is one transaction), so
 * nothing ever sees the table without them. Inserting a million rows into its B-trees one by one
 * took several times as long here.
 */
async function bulk(
  sql: Sql,
  tables: string[],
  inserts: { text: string }[],
  values: number[],
  around: { before: string[]; after: string[] } = NOTHING,
): Promise<void> {
  const indexes = (await Promise.all(tables.map((table) => sql.rows<{ drop: string; make: string }>(INDEXES, [table])))).flat();
  const text = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    ...around.before,
    ...indexes.map((i) => i.drop),
    ...inserts.map((s) => literal(s, values)),
    ...indexes.map((i) => i.make),
    ...around.after,
  ].join(";\n");
  await sql.count(statement(`scale_seed_bulk_${tables.join("_")}`, text));
}

/**
 * Stores the history (see above) in the database behind `sql`, which must allow long statements
 * (at a million rows some take tens of seconds) and gives two connections to run them side by side.
 * Best with no server running: each table is locked while it loads.
 */
export async function seedScale(sql: Sql, sizes: ScaleSizes): Promise<void> {
  const payments = Math.max(sizes.records, sizes.entries, sizes.events);
  if (payments === 0) return;
  await sql.count(MERCHANTS, [MERCHANT_IDS]);
  // Two independent chains, one per connection: on two cores, about twice as fast as one.
  await Promise.all([
    (async () => {
      await bulk(sql, ["payments"], [PAYMENTS], [payments, payments]);
      await bulk(sql, ["refunds"], [REFUNDS], [payments, payments]);
      if (sizes.records > 0) await bulk(sql, ["idempotency_records"], [RECORDS], [sizes.records, payments]);
      if (sizes.records > 0) await bulk(sql, ["request_log"], [REQUEST_LOG], [sizes.records, payments, Math.ceil(sizes.records / 4)]);
    })(),
    (async () => {
      if (sizes.entries > 0) await bulk(sql, ["ledger_entries"], [LEDGER], [sizes.entries, payments], LEDGER_ROLLUP);
      if (sizes.events > 0) await bulk(sql, ["events", "consumer_inbox"], [EVENTS], [sizes.events, payments]);
    })(),
  ]);
  await sql.count(VACUUM);
}
