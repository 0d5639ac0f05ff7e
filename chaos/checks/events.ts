import type { LocalTruth } from "../truth";
import { finding, type Finding } from "./finding";

/** Which event a ledger entry's source must have produced. */
const EVENT_OF_SOURCE: Record<string, string> = { payment: "payment.succeeded", refund: "refund.succeeded", dispute: "dispute.created" };

/**
 * Every movement has exactly one event, every event was published and applied once by every
 * consumer (its inbox holds exactly the events), the revenue projection's net, gross and count are
 * the ledger's and the payments', each succeeded payment has a receipt version per state it went
 * through, and nothing is left half-done (a payment `processing`, a refund `pending`).
 */
export function eventFindings(local: LocalTruth): Finding[] {
  const found: Finding[] = [];
  const events = new Map<string, string[]>();
  for (const e of local.events) events.set(`${e.type}/${e.subject_id}`, [...(events.get(`${e.type}/${e.subject_id}`) ?? []), e.id]);
  const movements = new Set<string>();
  for (const entry of local.entries) movements.add(`${EVENT_OF_SOURCE[entry.source_type] ?? entry.source_type}/${entry.source_id}`);
  for (const p of local.payments) if (p.status === "failed") movements.add(`payment.failed/${p.id}`);
  for (const movement of movements) {
    const ids = events.get(movement) ?? [];
    if (ids.length !== 1) found.push(finding("event-per-movement", movement, `${ids.length} events for the movement`));
  }
  for (const [subject, ids] of events)
    if (!movements.has(subject)) found.push(finding("event-per-movement", subject, `event ${ids.join(", ")} for no movement`));
  const unpublished = local.events.filter((e) => !e.published);
  if (unpublished.length)
    found.push(
      finding(
        "events-unpublished",
        "relay",
        `${unpublished.length} events still in the outbox: ${unpublished
          .slice(0, 5)
          .map((e) => e.id)
          .join(", ")}`,
      ),
    );

  const all = new Set(local.events.map((e) => e.id));
  for (const consumer of local.consumers) {
    const inbox = new Set(local.inboxes.get(consumer) ?? []);
    const missing = [...all].filter((id) => !inbox.has(id));
    const stray = [...inbox].filter((id) => !all.has(id));
    if (missing.length) found.push(finding("inbox", consumer, `${missing.length} events never applied: ${missing.slice(0, 5).join(", ")}`));
    if (stray.length) found.push(finding("inbox", consumer, `${stray.length} inbox rows for no event: ${stray.slice(0, 5).join(", ")}`));
  }

  const key = (merchant: string, currency: string) => `${merchant}/${currency}`;
  const ledger = new Map<string, number>();
  for (const e of local.entries) ledger.set(key(e.merchant_id, e.currency), (ledger.get(key(e.merchant_id, e.currency)) ?? 0) + e.amount);
  const paid = new Map<string, { gross: number; count: number }>();
  for (const p of local.payments.filter((p) => p.status === "succeeded")) {
    const k = key(p.merchant_id, p.currency);
    const t = paid.get(k) ?? { gross: 0, count: 0 };
    paid.set(k, { gross: t.gross + p.amount, count: t.count + 1 });
  }
  const projected = new Map(local.revenue.map((r) => [key(r.merchant_id, r.currency), r]));
  for (const k of new Set([...ledger.keys(), ...paid.keys(), ...projected.keys()])) {
    const r = projected.get(k) ?? { net: 0, gross: 0, count: 0 };
    const l = ledger.get(k) ?? 0;
    const p = paid.get(k) ?? { gross: 0, count: 0 };
    if (r.net !== l || r.gross !== p.gross || r.count !== p.count)
      found.push(finding("revenue", k, `projection net ${r.net}, gross ${r.gross}, count ${r.count}; ledger ${l}, payments ${p.gross} in ${p.count}`));
  }

  const refundsOf = new Map<string, number>();
  for (const r of local.refunds.filter((r) => r.status === "succeeded")) refundsOf.set(r.payment_id, (refundsOf.get(r.payment_id) ?? 0) + 1);
  const receiptsOf = new Map<string, typeof local.receipts>();
  for (const r of local.receipts) receiptsOf.set(r.payment_id, [...(receiptsOf.get(r.payment_id) ?? []), r]);
  for (const p of local.payments) {
    const versions = (receiptsOf.get(p.id) ?? []).map((r) => r.version).sort((a, b) => a - b);
    const expected = p.status === "succeeded" ? (refundsOf.get(p.id) ?? 0) + 1 : 0;
    if (versions.length !== expected || versions.some((v, i) => v !== i + 1))
      found.push(finding("receipts", p.id, `receipt versions [${versions.join(", ")}], expected 1…${expected}`));
  }
  const unstored = local.receipts.filter((r) => !r.stored);
  if (unstored.length) found.push(finding("receipts", "documents", `${unstored.length} receipts whose document is missing or does not hash to its address`));

  for (const p of local.payments.filter((p) => p.status === "processing"))
    found.push(finding("processing-left", p.id, `${p.amount} ${p.currency} still processing (${p.provider_payment_id ?? "no PaymentIntent"})`));
  for (const r of local.refunds.filter((r) => r.status === "pending"))
    found.push(finding("pending-left", r.id, `refund of ${r.amount} on ${r.payment_id} still pending`));
  return found;
}
