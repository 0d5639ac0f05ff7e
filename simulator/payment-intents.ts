import { z } from "zod";
import { invalidRequest, ProviderError, resourceMissing, type Answer } from "./errors";
import { recordEvent, type EventOrigin } from "./events";
import { newId, unixNow } from "./ids";
import { intString, listSchema, MAX_AMOUNT, metadataSchema, parseParams, type ListPage } from "./params";
import type { Queryable } from "./store";

export interface PaymentError {
  type: "card_error";
  code: string;
  decline_code: string;
  message: string;
}

export interface PaymentIntent {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_received: number;
  /** Not Stripe's (it is on the charge there), but it makes the ledger readable at a glance. */
  amount_refunded: number;
  currency: string;
  status: "requires_payment_method" | "requires_confirmation" | "succeeded";
  created: number;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string | null;
  latest_charge: string | null;
  last_payment_error: PaymentError | null;
  description: string | null;
  customer: string | null;
}

interface PaymentIntentRow {
  id: string;
  created: number;
  amount: number;
  amount_received: number;
  amount_refunded: number;
  currency: string;
  status: PaymentIntent["status"];
  payment_method: string | null;
  latest_charge: string | null;
  last_payment_error: PaymentError | null;
  metadata: Record<string, string>;
  description: string | null;
  customer: string | null;
}

const COLUMNS =
  "id, created, amount, amount_received, amount_refunded, currency, status, payment_method, latest_charge, last_payment_error, metadata, description, customer";

export function toPaymentIntent(row: PaymentIntentRow): PaymentIntent {
  return {
    id: row.id,
    object: "payment_intent",
    amount: row.amount,
    amount_received: row.amount_received,
    amount_refunded: row.amount_refunded,
    currency: row.currency,
    status: row.status,
    created: row.created,
    livemode: false,
    metadata: row.metadata,
    payment_method: row.payment_method,
    latest_charge: row.latest_charge,
    last_payment_error: row.last_payment_error,
    description: row.description,
    customer: row.customer,
  };
}

/** Stripe's test payment methods that decline; every other one succeeds. */
const DECLINES: Record<string, Omit<PaymentError, "type">> = {
  pm_card_chargeDeclined: { code: "card_declined", decline_code: "generic_decline", message: "Your card was declined." },
  pm_card_chargeDeclinedInsufficientFunds: { code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." },
  pm_card_chargeDeclinedExpiredCard: { code: "expired_card", decline_code: "expired_card", message: "Your card has expired." },
};

const createSchema = z.strictObject({
  amount: intString(1, MAX_AMOUNT),
  currency: z.string().regex(/^[a-z]{3}$/, "must be a three-letter lowercase ISO currency code"),
  confirm: z.enum(["true", "false"]).optional(),
  payment_method: z.string().min(1).max(255).optional(),
  metadata: metadataSchema.optional(),
  description: z.string().max(1000).optional(),
  customer: z.string().min(1).max(255).optional(),
  // Accepted as Stripe accepts them, so that code written for Stripe runs unchanged; nothing here redirects.
  automatic_payment_methods: z.strictObject({ enabled: z.enum(["true", "false"]), allow_redirects: z.enum(["always", "never"]).optional() }).optional(),
  return_url: z.string().url().optional(),
});

/** Validates a create (nothing is saved if this throws) and returns its execution. */
export function prepareCreate(params: Record<string, unknown>): (tx: Queryable, origin: EventOrigin) => Promise<Answer> {
  const input = parseParams(createSchema, params);
  const confirm = input.confirm === "true";
  if (confirm && !input.payment_method)
    throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method.", "payment_method", "parameter_missing");
  return async (tx, origin) => {
    const decline = confirm && input.payment_method ? DECLINES[input.payment_method] : undefined;
    const succeeded = confirm && !decline;
    const row: PaymentIntentRow = {
      id: newId("pi"),
      created: unixNow(),
      amount: input.amount,
      amount_received: succeeded ? input.amount : 0,
      amount_refunded: 0,
      currency: input.currency,
      status: succeeded ? "succeeded" : decline || !input.payment_method ? "requires_payment_method" : "requires_confirmation",
      payment_method: decline ? null : (input.payment_method ?? null),
      latest_charge: succeeded ? newId("ch") : null,
      last_payment_error: decline ? { type: "card_error", ...decline } : null,
      metadata: input.metadata ?? {},
      description: input.description ?? null,
      customer: input.customer ?? null,
    };
    await tx.query(`INSERT INTO payment_intents (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
      row.id,
      row.created,
      row.amount,
      row.amount_received,
      row.amount_refunded,
      row.currency,
      row.status,
      row.payment_method,
      row.latest_charge,
      row.last_payment_error && JSON.stringify(row.last_payment_error),
      JSON.stringify(row.metadata),
      row.description,
      row.customer,
    ]);
    const intent = toPaymentIntent(row);
    if (succeeded) await recordEvent(tx, "payment_intent.succeeded", intent, origin);
    if (!decline) return { status: 200, body: intent };
    await recordEvent(tx, "payment_intent.payment_failed", intent, origin);
    // Stripe answers a decline with 402 and the (recorded) PaymentIntent inside the error.
    return new ProviderError(402, { type: "card_error", ...decline, payment_intent: intent }).answer();
  };
}

export async function findPaymentIntent(db: Queryable, id: string): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query<PaymentIntentRow>(`SELECT ${COLUMNS} FROM payment_intents WHERE id = $1`, [id]);
  return rows[0] && toPaymentIntent(rows[0]);
}

export async function retrievePaymentIntent(db: Queryable, id: string): Promise<PaymentIntent> {
  const intent = await findPaymentIntent(db, id);
  if (!intent) throw resourceMissing("payment_intent", id, "intent");
  return intent;
}

export async function listPaymentIntents(db: Queryable, params: Record<string, unknown>): Promise<ListPage<PaymentIntent>> {
  const { limit = 10, starting_after } = parseParams(listSchema, params);
  if (starting_after && !(await findPaymentIntent(db, starting_after))) throw resourceMissing("payment_intent", starting_after, "starting_after", 400);
  const { rows } = await db.query<PaymentIntentRow>(
    `SELECT ${COLUMNS} FROM payment_intents
     WHERE $1::text IS NULL OR seq < (SELECT seq FROM payment_intents WHERE id = $1)
     ORDER BY seq DESC LIMIT $2`,
    [starting_after ?? null, limit + 1],
  );
  return { object: "list", data: rows.slice(0, limit).map(toPaymentIntent), has_more: rows.length > limit, url: "/v1/payment_intents" };
}

/** Every PaymentIntent, oldest first: the reconciliation view. */
export async function allPaymentIntents(db: Queryable): Promise<PaymentIntent[]> {
  const { rows } = await db.query<PaymentIntentRow>(`SELECT ${COLUMNS} FROM payment_intents ORDER BY seq`);
  return rows.map(toPaymentIntent);
}

const searchSchema = z.strictObject({
  query: z.string().min(1).max(1000),
  limit: intString(1, 100).optional(),
  page: z.string().optional(),
});

// The part of Stripe's search query language Oncepay uses: clauses `metadata['key']:'value'` and
// `status:'succeeded'`, joined by AND. Anything else is a 400, as an unsupported query is at Stripe.
const CLAUSE = /^(?:metadata\['([^'\\]{1,40})'\]|(status)):'([^'\\]{0,500})'$/;

/** GET /v1/payment_intents/search: Stripe's search, newest first; the simulator's index never lags. */
export async function searchPaymentIntents(db: Queryable, params: Record<string, unknown>) {
  const { query, limit = 10 } = parseParams(searchSchema, params);
  const conditions: string[] = [];
  const values: unknown[] = [];
  for (const clause of query.split(/\s+AND\s+/)) {
    const match = CLAUSE.exec(clause.trim());
    if (!match)
      throw invalidRequest(`Unsupported search query clause '${clause.trim()}': use metadata['key']:'value' or status:'value', joined by AND.`, "query");
    const [, metadataKey, status, value] = match;
    values.push(value);
    if (status) conditions.push(`status = $${values.length}`);
    else {
      values.push(metadataKey);
      conditions.push(`metadata ->> $${values.length} = $${values.length - 1}`);
    }
  }
  values.push(limit + 1);
  const { rows } = await db.query<PaymentIntentRow>(
    `SELECT ${COLUMNS} FROM payment_intents WHERE ${conditions.join(" AND ")} ORDER BY seq DESC LIMIT $${values.length}`,
    values,
  );
  return {
    object: "search_result" as const,
    data: rows.slice(0, limit).map(toPaymentIntent),
    has_more: rows.length > limit,
    next_page: null,
    url: "/v1/payment_intents/search",
  };
}
