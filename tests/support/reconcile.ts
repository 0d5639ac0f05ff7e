import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { poll } from "@/fixtures";
import { providerLedger, type ProviderLedger } from "@/fixtures/simulator-process";

/** A database Oncepay ran on: PostgreSQL by URL, or an embedded data directory whose server has stopped. */
export type LocalDatabase = { url: string } | { dataDir: string };

interface LocalPayment {
  id: string;
  status: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  provider_payment_id: string | null;
}

interface LocalRefund {
  id: string;
  payment_id: string;
  status: string;
  amount: number;
}

interface LocalEntry {
  source_type: string;
  source_id: string;
  currency: string;
  amount: string;
}

const PAYMENTS = "SELECT id, status, amount, amount_refunded, currency, provider_payment_id FROM payments";
const REFUNDS = "SELECT id, payment_id, status, amount FROM refunds";
const ENTRIES = "SELECT source_type, source_id, currency, amount::text AS amount FROM ledger_entries";

interface Local {
  payments: LocalPayment[];
  entries: LocalEntry[];
  refunds: LocalRefund[];
}

async function readLocal(db: LocalDatabase): Promise<Local> {
  if ("url" in db) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return {
        payments: (await client.query<LocalPayment>(PAYMENTS)).rows,
        entries: (await client.query<LocalEntry>(ENTRIES)).rows,
        refunds: (await client.query<LocalRefund>(REFUNDS)).rows,
      };
    } finally {
      await client.end();
    }
  }
  // Where server/db/embedded.ts keeps it.
  const lite = await PGlite.create({ dataDir: path.join(db.dataDir, "pglite") });
  try {
    return {
      payments: (await lite.query<LocalPayment>(PAYMENTS)).rows,
      entries: (await lite.query<LocalEntry>(ENTRIES)).rows,
      refunds: (await lite.query<LocalRefund>(REFUNDS)).rows,
    };
  } finally {
    await lite.close();
  }
}

/**
 * Every way the provider's ledger and Oncepay's can disagree (charges, refunds and disputes, per
 * payment), or one can be left half-way (processing, pending), for payments made through `providerUrl`
 * by servers on `databases`: the project's promise ("charged once") checked from both ends.
 * Empty means they agree.
 */
export async function discrepancies(providerUrl: string, databases: LocalDatabase[]): Promise<string[]> {
  const [ledger, ...locals] = await Promise.all([providerLedger(providerUrl), ...databases.map(readLocal)]);
  const payments = new Map(locals.flatMap((l) => l.payments).map((p) => [p.id, p]));
  const entries = locals.flatMap((l) => l.entries);
  const problems: string[] = [];
  const succeededBy = new Map<string, string[]>();
  for (const intent of ledger.payment_intents) {
    const paymentId = intent.metadata.oncepay_payment;
    if (!paymentId) continue;
    if (intent.status === "succeeded") succeededBy.set(paymentId, [...(succeededBy.get(paymentId) ?? []), intent.id]);
  }
  for (const [paymentId, intents] of succeededBy) {
    const payment = payments.get(paymentId);
    if (intents.length > 1) problems.push(`payment ${paymentId} was charged ${intents.length} times: ${intents.join(", ")}`);
    if (!payment) problems.push(`succeeded ${intents.join(", ")} has no Oncepay payment ${paymentId}`);
    else if (payment.status !== "succeeded" || payment.provider_payment_id !== intents[0]) {
      problems.push(`payment ${paymentId} is ${payment.status} with ${payment.provider_payment_id ?? "no PaymentIntent"}, but ${intents[0]} succeeded`);
    }
  }
  const intents = new Map(ledger.payment_intents.map((i) => [i.id, i]));
  for (const payment of payments.values()) {
    if (payment.status !== "succeeded") continue;
    const intent = payment.provider_payment_id ? intents.get(payment.provider_payment_id) : undefined;
    if (intent?.status !== "succeeded") problems.push(`payment ${payment.id} succeeded locally without a succeeded PaymentIntent`);
    else if (intent.amount !== payment.amount || intent.currency !== payment.currency)
      problems.push(`payment ${payment.id} differs from ${intent.id} in amount`);
  }
  // The ledger: exactly one entry per succeeded payment, of its amount; none for anything else.
  const credited = new Map<string, number>();
  for (const entry of entries.filter((e) => e.source_type === "payment")) {
    credited.set(entry.source_id, (credited.get(entry.source_id) ?? 0) + 1);
    const payment = payments.get(entry.source_id);
    if (payment?.status !== "succeeded" || Number(entry.amount) !== payment.amount)
      problems.push(`ledger entry for ${entry.source_id} matches no succeeded payment`);
  }
  for (const payment of payments.values()) {
    if (payment.status === "succeeded" && credited.get(payment.id) !== 1)
      problems.push(`payment ${payment.id} has ${credited.get(payment.id) ?? 0} ledger entries`);
  }
  // Disputes: one debit per provider dispute on our payments, of its amount, and none made up.
  const ourIntents = new Set([...payments.values()].map((p) => p.provider_payment_id).filter(Boolean));
  const disputeEntries = new Map(entries.filter((e) => e.source_type === "dispute").map((e) => [e.source_id, Number(e.amount)]));
  for (const dispute of ledger.disputes) {
    if (!ourIntents.has(dispute.payment_intent)) continue;
    if (disputeEntries.get(dispute.id) !== -dispute.amount)
      problems.push(`dispute ${dispute.id} is debited ${disputeEntries.get(dispute.id) ?? "nothing"}, not ${-dispute.amount}`);
  }
  const providerDisputes = new Set(ledger.disputes.map((d) => d.id));
  for (const id of disputeEntries.keys()) if (!providerDisputes.has(id)) problems.push(`ledger debits dispute ${id}, which the provider never opened`);
  problems.push(
    ...refundDiscrepancies(
      ledger,
      payments,
      locals.flatMap((l) => l.refunds),
      entries,
    ),
  );
  // Nothing left half-way: every payment and refund settled, by its request, the completer or the reaper.
  for (const payment of payments.values()) if (payment.status === "processing") problems.push(`payment ${payment.id} is still processing`);
  for (const refund of locals.flatMap((l) => l.refunds)) if (refund.status === "pending") problems.push(`refund ${refund.id} is still pending`);
  return problems;
}

/**
 * Refunds, per payment: what the provider refunded on its PaymentIntent, the refunds that
 * succeeded here, the payment's refunded amount and the ledger's refund debits must all be one
 * number; each local refund has one debit of its amount, a refund that did not succeed none.
 */
function refundDiscrepancies(ledger: ProviderLedger, payments: Map<string, LocalPayment>, refunds: LocalRefund[], entries: LocalEntry[]): string[] {
  const problems: string[] = [];
  const refundedThere = new Map<string, number>();
  for (const refund of ledger.refunds) refundedThere.set(refund.payment_intent, (refundedThere.get(refund.payment_intent) ?? 0) + refund.amount);
  const debits = new Map<string, number[]>();
  for (const entry of entries.filter((e) => e.source_type === "refund"))
    debits.set(entry.source_id, [...(debits.get(entry.source_id) ?? []), Number(entry.amount)]);
  const succeededHere = new Map<string, number>();
  for (const refund of refunds) {
    const debit = debits.get(refund.id) ?? [];
    if (refund.status === "succeeded") {
      succeededHere.set(refund.payment_id, (succeededHere.get(refund.payment_id) ?? 0) + refund.amount);
      if (debit.length !== 1 || debit[0] !== -refund.amount) problems.push(`refund ${refund.id} of ${refund.amount} is debited [${debit.join(", ")}]`);
    } else if (debit.length > 0) problems.push(`refund ${refund.id} is ${refund.status} but debited [${debit.join(", ")}]`);
  }
  const known = new Set(refunds.map((r) => r.id));
  for (const id of debits.keys()) if (!known.has(id)) problems.push(`ledger debits refund ${id}, which is not a refund here`);
  for (const payment of payments.values()) {
    if (payment.status !== "succeeded" || !payment.provider_payment_id) continue;
    const there = refundedThere.get(payment.provider_payment_id) ?? 0;
    const here = succeededHere.get(payment.id) ?? 0;
    if (there !== here || payment.amount_refunded !== here)
      problems.push(`payment ${payment.id}: the provider refunded ${there}, refunds here ${here}, the payment counts ${payment.amount_refunded}`);
  }
  return problems;
}

/**
 * Waits until the ledgers agree: a charge whose answer was lost is finished by a retry or by the
 * completer within the lease plus its interval, so a disagreement is only final after `timeoutMs`.
 */
export async function expectReconciled(providerUrl: string, databases: LocalDatabase[], timeoutMs = 45_000): Promise<void> {
  let last: string[] = [];
  await poll(
    async () => {
      last = await discrepancies(providerUrl, databases);
      return last.length === 0;
    },
    { timeoutMs, intervalMs: 500, message: () => `the provider's ledger and Oncepay's disagree:\n${last.join("\n")}` },
  );
}
