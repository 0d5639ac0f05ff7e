import type { Truth } from "../truth";
import { finding, type Finding } from "./finding";

/** The checks that compare money, payment by payment: what the provider did against what Oncepay's ledger says. */
export const LEDGER_CHECKS = [
  "charged-twice",
  "intent-twice",
  "intent-without-payment",
  "payment-vs-provider",
  "ledger-credit",
  "ledger-refunds",
  "ledger-disputes",
];

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function group<T>(items: T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

/**
 * Per payment, never only in total: at most one PaymentIntent and one charge; the payment's state
 * as the provider's; its credit, refund debits, refunded amount and dispute debits each equal to
 * what the provider charged, refunded and had disputed.
 */
export function ledgerFindings({ provider, local }: Truth): Finding[] {
  const found: Finding[] = [];
  const payments = new Map(local.payments.map((p) => [p.id, p]));
  const intentsOf = group(provider.payment_intents, (i) => i.metadata.oncepay_payment);
  const refundsAt = group(provider.refunds, (r) => r.payment_intent);
  const disputesAt = group(provider.disputes, (d) => d.payment_intent);
  const localRefunds = new Map(local.refunds.map((r) => [r.id, r]));
  const refundsOf = group(local.refunds, (r) => r.payment_id);
  const entries = (type: string) => local.entries.filter((e) => e.source_type === type);
  const credits = group(entries("payment"), (e) => e.source_id);
  const refundDebits = group(entries("refund"), (e) => localRefunds.get(e.source_id)?.payment_id ?? `?${e.source_id}`);
  const disputeDebits = new Map(entries("dispute").map((e) => [e.source_id, e]));

  for (const id of new Set([...payments.keys(), ...intentsOf.keys()])) {
    const payment = payments.get(id);
    const intents = intentsOf.get(id) ?? [];
    const succeeded = intents.filter((i) => i.status === "succeeded");
    if (succeeded.length > 1) found.push(finding("charged-twice", id, `charged ${succeeded.length} times: ${succeeded.map((i) => i.id).join(", ")}`));
    else if (intents.length > 1)
      found.push(finding("intent-twice", id, `${intents.length} PaymentIntents: ${intents.map((i) => `${i.id} ${i.status}`).join(", ")}`));
    const charge = succeeded[0];
    if (!payment) {
      if (charge)
        found.push(finding("intent-without-payment", id, `${charge.id} succeeded for ${charge.amount} ${charge.currency}, and Oncepay has no such payment`));
      continue;
    }
    if (charge && (payment.status !== "succeeded" || payment.provider_payment_id !== charge.id))
      found.push(finding("payment-vs-provider", id, `${payment.status} with ${payment.provider_payment_id ?? "no PaymentIntent"}, but ${charge.id} succeeded`));
    if (!charge && payment.status === "succeeded")
      found.push(
        finding("payment-vs-provider", id, `succeeded with ${payment.provider_payment_id ?? "no PaymentIntent"}, which did not succeed at the provider`),
      );
    if (charge && (charge.amount_received !== payment.amount || charge.currency !== payment.currency))
      found.push(
        finding("payment-vs-provider", id, `${payment.amount} ${payment.currency} here, ${charge.amount_received} ${charge.currency} charged by ${charge.id}`),
      );

    const credited = credits.get(id) ?? [];
    const expected = charge ? charge.amount_received : 0;
    if (credited.length > 1 || sum(credited.map((e) => e.amount)) !== expected)
      found.push(
        finding("ledger-credit", id, `credited ${sum(credited.map((e) => e.amount))} in ${credited.length} entries, the provider charged ${expected}`),
      );

    const intentIds = intents.map((i) => i.id);
    const refundedThere = sum(intentIds.flatMap((i) => refundsAt.get(i) ?? []).map((r) => r.amount));
    const debited = -sum((refundDebits.get(id) ?? []).map((e) => e.amount));
    const refundedHere = sum((refundsOf.get(id) ?? []).filter((r) => r.status === "succeeded").map((r) => r.amount));
    if (debited !== refundedThere || refundedHere !== refundedThere || payment.amount_refunded !== refundedThere)
      found.push(
        finding(
          "ledger-refunds",
          id,
          `the provider refunded ${refundedThere}; the ledger debits ${debited}, refunds succeeded here ${refundedHere}, amount_refunded ${payment.amount_refunded}`,
        ),
      );

    const disputes = intentIds.flatMap((i) => disputesAt.get(i) ?? []);
    const disputedThere = sum(disputes.map((d) => d.amount));
    const disputedHere = -sum(disputes.map((d) => disputeDebits.get(d.id)?.amount ?? 0));
    if (disputedHere !== disputedThere)
      found.push(
        finding(
          "ledger-disputes",
          id,
          `disputed ${disputedThere} at the provider (${disputes.map((d) => d.id).join(", ")}), ${disputedHere} debited in the ledger`,
        ),
      );
  }

  // Entries that name no source the other side knows.
  for (const [source, list] of credits) if (!payments.has(source)) found.push(finding("ledger-credit", source, `${list.length} credit entries for no payment`));
  for (const [source, list] of refundDebits)
    if (source.startsWith("?")) found.push(finding("ledger-refunds", source.slice(1), `${list.length} debit entries for no refund`));
  const opened = new Set(provider.disputes.map((d) => d.id));
  for (const id of disputeDebits.keys())
    if (!opened.has(id)) found.push(finding("ledger-disputes", id, "a dispute debit for a dispute the provider never opened"));
  return found;
}
