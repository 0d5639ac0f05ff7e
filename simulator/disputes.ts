import { z } from "zod";
import { invalidRequest, resourceMissing } from "./errors";
import { NO_ORIGIN, recordEvent } from "./events";
import { newId, unixNow } from "./ids";
import { intString, MAX_AMOUNT, parseParams } from "./params";
import type { Queryable } from "./store";

/** Simulator-only: Stripe opens disputes on its own; tests and the dashboard need to make one happen. */
export interface Dispute {
  id: string;
  object: "dispute";
  amount: number;
  payment_intent: string;
  charge: string;
  currency: string;
  reason: string;
  status: "needs_response";
  created: number;
}

const COLUMNS = "id, created, amount, payment_intent, charge, currency, reason, status";

// JSON bodies carry numbers, form bodies strings: both are accepted for the one numeric param.
const amountParam = z.union([z.number().int().min(1).max(MAX_AMOUNT), intString(1, MAX_AMOUNT)]);

const createSchema = z.strictObject({
  payment_intent: z.string().min(1),
  amount: amountParam.optional(),
  reason: z
    .enum([
      "bank_cannot_process",
      "credit_not_processed",
      "duplicate",
      "fraudulent",
      "general",
      "product_not_received",
      "product_unacceptable",
      "subscription_canceled",
      "unrecognized",
    ])
    .optional(),
});

/** Opens a dispute on a succeeded PaymentIntent's charge; the dispute and its event commit together. */
export async function createDispute(tx: Queryable, params: Record<string, unknown>): Promise<Dispute> {
  const input = parseParams(createSchema, params);
  const { rows } = await tx.query<{ status: string; amount_received: number; amount_refunded: number; latest_charge: string | null; currency: string }>(
    "SELECT status, amount_received, amount_refunded, latest_charge, currency FROM payment_intents WHERE id = $1 FOR UPDATE",
    [input.payment_intent],
  );
  const intent = rows[0];
  if (!intent) throw resourceMissing("payment_intent", input.payment_intent, "payment_intent");
  if (intent.status !== "succeeded" || !intent.latest_charge) {
    throw invalidRequest(`This PaymentIntent (${input.payment_intent}) does not have a successful charge to dispute.`, "payment_intent");
  }
  const existing = await tx.query("SELECT 1 FROM disputes WHERE charge = $1", [intent.latest_charge]);
  if (existing.rows.length > 0) throw invalidRequest(`Charge ${intent.latest_charge} has already been disputed.`, "payment_intent", "charge_disputed");
  const remaining = intent.amount_received - intent.amount_refunded;
  const amount = input.amount ?? remaining;
  if (amount <= 0 || amount > remaining) {
    throw invalidRequest(`Dispute amount (${amount}) must be between 1 and the unrefunded amount on the charge (${remaining}).`, "amount");
  }
  const dispute: Dispute = {
    id: newId("dp"),
    object: "dispute",
    amount,
    payment_intent: input.payment_intent,
    charge: intent.latest_charge,
    currency: intent.currency,
    reason: input.reason ?? "fraudulent",
    status: "needs_response",
    created: unixNow(),
  };
  await tx.query(`INSERT INTO disputes (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
    dispute.id,
    dispute.created,
    dispute.amount,
    dispute.payment_intent,
    dispute.charge,
    dispute.currency,
    dispute.reason,
    dispute.status,
  ]);
  // No API request of Stripe's causes a dispute, so there is no idempotency key to report.
  await recordEvent(tx, "charge.dispute.created", dispute, NO_ORIGIN);
  return dispute;
}

export async function allDisputes(db: Queryable): Promise<Dispute[]> {
  const { rows } = await db.query<Omit<Dispute, "object">>(`SELECT ${COLUMNS} FROM disputes ORDER BY seq`);
  return rows.map((row) => ({ ...row, object: "dispute" }));
}
