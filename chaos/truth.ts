import { createHash } from "node:crypto";
import pg from "pg";
import { providerLedger, type ProviderLedger } from "@/fixtures/simulator-process";

export interface PaymentRow {
  id: string;
  merchant_id: string;
  status: string;
  amount: number;
  currency: string;
  amount_refunded: number;
  provider_payment_id: string | null;
  idempotency_key: string;
}

export interface RefundRow {
  id: string;
  payment_id: string;
  status: string;
  amount: number;
  origin: string;
}

export interface EntryRow {
  merchant_id: string;
  currency: string;
  amount: number;
  source_type: string;
  source_id: string;
}

export interface EventRow {
  id: string;
  type: string;
  subject_id: string;
  published: boolean;
}

export interface ReceiptRow {
  payment_id: string;
  version: number;
  sha256: string;
  /** Whether the stored document is there and its bytes hash to the address. */
  stored: boolean;
}

export interface RevenueRow {
  merchant_id: string;
  currency: string;
  gross: number;
  net: number;
  count: number;
}

/** What Oncepay's database holds, read after the run: the tables the checker compares. */
export interface LocalTruth {
  payments: PaymentRow[];
  refunds: RefundRow[];
  entries: EntryRow[];
  events: EventRow[];
  /** Per consumer (its inbox name), the event ids it applied. */
  inboxes: Map<string, string[]>;
  /** The consumers that must have applied every event: receipts, revenue and the live projection version's. */
  consumers: string[];
  receipts: ReceiptRow[];
  /** The live projection version, summed over days. */
  revenue: RevenueRow[];
  /** Provider events recorded and not applied, by the reason noted (unknown_payment_intent, …). */
  unappliedWebhooks: Record<string, number>;
  /** What each scheduled job did over the run (the cleanup's rows per table, the reaper's settlements), and its runs. */
  jobs: Record<string, { runs: number; totals: Record<string, number> }>;
}

export interface Truth {
  provider: ProviderLedger;
  local: LocalTruth;
}

export async function readTruth(providerUrl: string, databaseUrl: string): Promise<Truth> {
  const [provider, local] = await Promise.all([providerLedger(providerUrl), readLocal(databaseUrl)]);
  return { provider, local };
}

export async function readLocal(databaseUrl: string): Promise<LocalTruth> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const rows = async <T>(text: string, values: unknown[] = []) => (await client.query(text, values)).rows as T[];
  try {
    const payments = await rows<PaymentRow>(
      "SELECT id, merchant_id, status, amount, currency, amount_refunded, provider_payment_id, idempotency_key FROM payments ORDER BY created_at",
    );
    const refunds = await rows<RefundRow>("SELECT id, payment_id, status, amount, origin FROM refunds ORDER BY created_at");
    const entries = await rows<EntryRow>("SELECT merchant_id, currency, amount::float8 AS amount, source_type, source_id FROM ledger_entries ORDER BY id");
    const events = await rows<EventRow>("SELECT id, type, subject_id, published_at IS NOT NULL AS published FROM events ORDER BY sequence");
    const inbox = await rows<{ consumer: string; event_id: string }>("SELECT consumer, event_id FROM consumer_inbox");
    const inboxes = new Map<string, string[]>();
    for (const { consumer, event_id } of inbox) inboxes.set(consumer, [...(inboxes.get(consumer) ?? []), event_id]);
    const [live] = await rows<{ version: number }>("SELECT version FROM revenue_versions WHERE state = 'live'");
    const consumers = ["receipts", "revenue", ...(live ? [`revenue@v${live.version}`] : [])];
    const documents = new Map(
      (await rows<{ sha256: string; body: string }>("SELECT sha256, body FROM receipt_documents")).map((d) => [
        d.sha256,
        createHash("sha256").update(d.body, "utf8").digest("hex") === d.sha256,
      ]),
    );
    const receipts = (await rows<Omit<ReceiptRow, "stored">>("SELECT payment_id, version, sha256 FROM receipts")).map((r) => ({
      ...r,
      stored: documents.get(r.sha256) === true,
    }));
    const revenue = live
      ? await rows<RevenueRow>(
          `SELECT merchant_id, currency, sum(gross)::float8 AS gross, sum(net)::float8 AS net, sum(count)::int AS count
             FROM revenue_daily WHERE version = $1 GROUP BY merchant_id, currency`,
          [live.version],
        )
      : [];
    const unapplied = await rows<{ note: string; n: number }>(
      "SELECT coalesce(note, '') AS note, count(*)::int AS n FROM webhook_events WHERE NOT applied GROUP BY 1",
    );
    const jobs = await rows<{ name: string; runs: number; totals: Record<string, number> }>("SELECT name, runs::int AS runs, totals FROM jobs ORDER BY name");
    return {
      jobs: Object.fromEntries(jobs.map((j) => [j.name, { runs: j.runs, totals: j.totals }])),
      payments,
      refunds,
      entries,
      events,
      inboxes,
      consumers,
      receipts,
      revenue,
      unappliedWebhooks: Object.fromEntries(unapplied.map((u) => [u.note, u.n])),
    };
  } finally {
    await client.end();
  }
}
