import { created, type History } from "../history";
import type { LocalTruth } from "../truth";
import { finding, type Finding } from "./finding";

/** Final answers a client may end an attempt with, besides the created one. */
const FINAL_PAYMENT = new Set([402]);
const FINAL_REFUND = new Set([400]);

/**
 * What the clients were told against what the database holds: every created answer is exactly one
 * payment (it exists, succeeded, of the amount and currency asked, under that key), one payment per
 * key, every attempt ended with an answer, a decline is a failed payment, and no one saw a 500.
 */
export function clientFindings(history: History, local: LocalTruth): Finding[] {
  const found: Finding[] = [];
  const payments = new Map(local.payments.map((p) => [p.id, p]));
  const refunds = new Map(local.refunds.map((r) => [r.id, r]));
  const byKey = new Map<string, typeof local.payments>();
  for (const p of local.payments) byKey.set(`${p.merchant_id}/${p.idempotency_key}`, [...(byKey.get(`${p.merchant_id}/${p.idempotency_key}`) ?? []), p]);

  const answered = new Map<string, Set<string>>();
  for (const r of history.requests) {
    if (r.status === 500) found.push(finding("status-500", r.key, `${r.via} ${r.operation} answered 500${r.fault ? ` (Simulate-Failure: ${r.fault})` : ""}`));
    if (r.operation !== "payment" || !created(r.via, r.status)) continue;
    const subject = `${r.merchant}/${r.key}`;
    answered.set(subject, (answered.get(subject) ?? new Set()).add(r.id ?? "(no id)"));
    const payment = r.id ? payments.get(r.id) : undefined;
    const asked = r.body as { amount: number; currency: string };
    if (!payment) found.push(finding("client-201", subject, `answered ${r.status} with ${r.id ?? "no id"}, which is not in the database`));
    else if (payment.status !== "succeeded" || payment.merchant_id !== r.merchant || payment.idempotency_key !== r.key)
      found.push(
        finding(
          "client-201",
          subject,
          `answered ${r.status} with ${payment.id}, which is ${payment.status} for ${payment.merchant_id}/${payment.idempotency_key}`,
        ),
      );
    else if (payment.amount !== asked.amount || payment.currency !== asked.currency || r.amount !== asked.amount || r.currency !== asked.currency)
      found.push(
        finding(
          "client-201",
          subject,
          `asked ${asked.amount} ${asked.currency}, told ${r.amount} ${r.currency}, ${payment.id} holds ${payment.amount} ${payment.currency}`,
        ),
      );
  }
  for (const [subject, ids] of answered) if (ids.size > 1) found.push(finding("client-201", subject, `one key, created answers naming ${[...ids].join(", ")}`));
  for (const [subject, list] of byKey)
    if (list.length > 1) found.push(finding("one-payment-per-key", subject, `${list.length} payments: ${list.map((p) => `${p.id} ${p.status}`).join(", ")}`));

  for (const a of history.attempts) {
    const subject = `${a.merchant}/${a.key}`;
    if (a.final === null) {
      found.push(finding("no-final-answer", subject, `${a.operation}: no final answer after ${a.requests} requests`));
      continue;
    }
    if (a.operation === "payment") {
      const held = byKey.get(subject) ?? [];
      if (created(a.via, a.final)) continue;
      if (!FINAL_PAYMENT.has(a.final)) found.push(finding("unexpected-status", subject, `payment attempt ended with ${a.final}`));
      if (held.some((p) => p.status === "succeeded"))
        found.push(finding("client-201", subject, `ended with ${a.final}, but ${held.map((p) => p.id).join(", ")} succeeded`));
      if (a.final === 402 && !held.some((p) => p.status === "failed"))
        found.push(finding("client-402", subject, "declined, and no failed payment was recorded"));
    } else if (a.final === 201) {
      const refund = a.id ? refunds.get(a.id) : undefined;
      const asked = a.body as { payment: string; amount?: number };
      if (!refund || refund.status !== "succeeded" || refund.payment_id !== asked.payment || (asked.amount !== undefined && refund.amount !== asked.amount))
        found.push(
          finding(
            "client-refund",
            subject,
            `answered 201 with ${a.id ?? "no id"}: ${refund ? `${refund.status} ${refund.amount} of ${refund.payment_id}` : "not in the database"}`,
          ),
        );
    } else if (!FINAL_REFUND.has(a.final)) {
      found.push(finding("unexpected-status", subject, `refund attempt ended with ${a.final}`));
    }
  }
  return found;
}
