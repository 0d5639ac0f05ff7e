import { z } from "zod";
import { invalidRequest, resourceMissing, type Answer } from "./errors";
import { recordEvent, type EventOrigin } from "./events";
import { newId, unixNow } from "./ids";
import { intString, listSchema, MAX_AMOUNT, metadataSchema, parseParams, type ListPage } from "./params";
import { findPaymentIntent } from "./payment-intents";
import type { Queryable } from "./store";

export interface Refund {
  id: string;
  object: "refund";
  amount: number;
  payment_intent: string;
  charge: string;
  currency: string;
  status: "succeeded";
  reason: string | null;
  created: number;
  metadata: Record<string, string>;
}

interface RefundRow {
  id: string;
  created: number;
  amount: number;
  payment_intent: string;
  charge: string;
  currency: string;
  status: "succeeded";
  reason: string | null;
  metadata: Record<string, string>;
}

const COLUMNS = "id, created, amount, payment_intent, charge, currency, status, reason, metadata";

const toRefund = (row: RefundRow): Refund => ({ ...row, object: "refund" });

const createSchema = z.strictObject({
  payment_intent: z.string().min(1),
  amount: intString(1, MAX_AMOUNT).optional(),
  reason: z.enum(["duplicate", "fraudulent", "requested_by_customer"]).optional(),
  metadata: metadataSchema.optional(),
});

/** Validates a refund (nothing is saved if this throws) and returns its execution. */
export function prepareRefund(params: Record<string, unknown>): (tx: Queryable, origin: EventOrigin) => Promise<Answer> {
  const input = parseParams(createSchema, params);
  return async (tx, origin) => {
    // FOR UPDATE so the default amount ("what remains") is read under the same lock the update takes.
    const { rows } = await tx.query<{ status: string; amount_received: number; amount_refunded: number; latest_charge: string | null; currency: string }>(
      "SELECT status, amount_received, amount_refunded, latest_charge, currency FROM payment_intents WHERE id = $1 FOR UPDATE",
      [input.payment_intent],
    );
    const intent = rows[0];
    if (!intent) throw resourceMissing("payment_intent", input.payment_intent, "payment_intent");
    if (intent.status !== "succeeded" || !intent.latest_charge) {
      throw invalidRequest(
        `This PaymentIntent (${input.payment_intent}) does not have a successful charge to refund.`,
        "payment_intent",
        "charge_not_refundable",
      );
    }
    const remaining = intent.amount_received - intent.amount_refunded;
    if (remaining <= 0) throw invalidRequest(`Charge ${intent.latest_charge} has already been refunded.`, undefined, "charge_already_refunded");
    const amount = input.amount ?? remaining;
    const tooLarge = () =>
      invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`, "amount", "amount_too_large");
    if (amount > remaining) throw tooLarge();
    // The money rule lives in the WHERE: it holds even if another refund committed since the read.
    const updated = await tx.query<{ amount_refunded: number }>(
      "UPDATE payment_intents SET amount_refunded = amount_refunded + $2 WHERE id = $1 AND amount_refunded + $2 <= amount_received RETURNING amount_refunded",
      [input.payment_intent, amount],
    );
    const refundedNow = updated.rows[0]?.amount_refunded;
    if (refundedNow === undefined) throw tooLarge();
    const refund: Refund = {
      id: newId("re"),
      object: "refund",
      amount,
      payment_intent: input.payment_intent,
      charge: intent.latest_charge,
      currency: intent.currency,
      status: "succeeded",
      reason: input.reason ?? null,
      created: unixNow(),
      metadata: input.metadata ?? {},
    };
    await tx.query(`INSERT INTO refunds (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      refund.id,
      refund.created,
      refund.amount,
      refund.payment_intent,
      refund.charge,
      refund.currency,
      refund.status,
      refund.reason,
      JSON.stringify(refund.metadata),
    ]);
    const metadata = await tx.query<{ metadata: Record<string, string> }>("SELECT metadata FROM payment_intents WHERE id = $1", [input.payment_intent]);
    await recordEvent(
      tx,
      "charge.refunded",
      {
        id: intent.latest_charge,
        object: "charge",
        amount: intent.amount_received,
        amount_captured: intent.amount_received,
        amount_refunded: refundedNow,
        refunded: refundedNow === intent.amount_received,
        currency: intent.currency,
        payment_intent: input.payment_intent,
        status: "succeeded",
        metadata: metadata.rows[0]?.metadata ?? {},
        // Not on Stripe's charge object: which refund made this event, for consumers that dedupe by refund.
        refund: refund.id,
      },
      origin,
    );
    return { status: 200, body: refund };
  };
}

const listRefundsSchema = listSchema.extend({ payment_intent: z.string().min(1).optional() });

export async function listRefunds(db: Queryable, params: Record<string, unknown>): Promise<ListPage<Refund>> {
  const { limit = 10, starting_after, payment_intent } = parseParams(listRefundsSchema, params);
  if (payment_intent && !(await findPaymentIntent(db, payment_intent))) throw resourceMissing("payment_intent", payment_intent, "payment_intent");
  if (starting_after) {
    const { rows } = await db.query("SELECT 1 FROM refunds WHERE id = $1", [starting_after]);
    if (rows.length === 0) throw resourceMissing("refund", starting_after, "starting_after", 400);
  }
  const { rows } = await db.query<RefundRow>(
    `SELECT ${COLUMNS} FROM refunds
     WHERE ($1::text IS NULL OR payment_intent = $1) AND ($2::text IS NULL OR seq < (SELECT seq FROM refunds WHERE id = $2))
     ORDER BY seq DESC LIMIT $3`,
    [payment_intent ?? null, starting_after ?? null, limit + 1],
  );
  return { object: "list", data: rows.slice(0, limit).map(toRefund), has_more: rows.length > limit, url: "/v1/refunds" };
}

export async function allRefunds(db: Queryable): Promise<Refund[]> {
  const { rows } = await db.query<RefundRow>(`SELECT ${COLUMNS} FROM refunds ORDER BY seq`);
  return rows.map(toRefund);
}
