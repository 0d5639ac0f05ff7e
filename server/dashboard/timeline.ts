import { z } from "zod";
import { statement, type Sql } from "../db/sql";
import { CREATE_PAYMENT } from "../payments/operation";
import { RECORD_STATES } from "./schema";

/**
 * A key's timeline: its idempotency record (state, recovery points, executions) and every request
 * seen with it (rest, trpc, or the completer as "job"; a resumed execution says which recovery point
 * it resumed from), and the provider's webhooks about the payment the key created. The checkout's
 * result reads it for one payment, the dashboard for any key.
 */
export const keyTimelineSchema = z.object({
  record: z
    .object({
      operation: z.string(),
      key: z.string(),
      state: z.enum(RECORD_STATES),
      executions: z.number().int(),
      /** The last recovery point committed; null when nothing of an execution survives. */
      recoveryPoint: z.string().nullable(),
      /** Every recovery point committed, oldest first. */
      recoveryPoints: z.array(z.object({ point: z.string(), at: z.string() })),
      responseStatus: z.number().int().nullable(),
      responseBody: z.string().nullable(),
      paymentId: z.string().nullable(),
      createdAt: z.string(),
      completedAt: z.string().nullable(),
      expiresAt: z.string(),
    })
    .nullable(),
  /** Every request seen with the key, in arrival order. */
  requests: z.array(
    z.object({
      at: z.string(),
      /** rest, trpc, or job: a completer run. */
      via: z.string().nullable(),
      outcome: z.string(),
      status: z.number().int(),
      latencyMs: z.number(),
      /** The recovery point an execution resumed from; null for a fresh one. */
      resumedFrom: z.string().nullable(),
    }),
  ),
  /** The provider's events about the key's payment (webhook_events), in arrival order; empty without a payment. */
  webhooks: z.array(
    z.object({
      type: z.string(),
      /** Whether the event changed anything. */
      applied: z.boolean(),
      /** Why it changed nothing: unknown_payment_intent, already_succeeded, refund_already_counted… */
      note: z.string().nullable(),
      receivedAt: z.string(),
    }),
  ),
});
export type KeyTimeline = z.infer<typeof keyTimelineSchema>;

// The record's own state, except that a completed one past retention shows as expired.
export const DISPLAY_STATE = `CASE WHEN r.state = 'completed' AND r.expires_at <= now() THEN 'expired' ELSE r.state END`;

const RECORD_COLUMNS = `r.operation, r.key, ${DISPLAY_STATE} AS state, r.executions, r.recovery_point AS "recoveryPoint", r.checkpoints,
  r.response_status AS "responseStatus", r.response_body AS "responseBody", r.resource_id AS "paymentId",
  r.created_at AS "createdAt", r.completed_at AS "completedAt", r.expires_at AS "expiresAt"`;

const RECORD_BY_KEY = statement(
  "timeline_record_by_key",
  `SELECT ${RECORD_COLUMNS} FROM idempotency_records r WHERE r.scope = $1 AND r.operation = $2 AND r.key = $3`,
);

// Through the claim that executed the payment, scoped to the merchant twice: the payment is theirs, and so is the record.
const RECORD_BY_PAYMENT = statement(
  "timeline_record_by_payment",
  `SELECT ${RECORD_COLUMNS}
     FROM payments p JOIN idempotency_records r ON r.id = p.idempotency_record_id
    WHERE p.id = $1 AND p.merchant_id = $2 AND r.scope = $2 AND r.operation = $3`,
);

const REQUESTS_OF_KEY = statement(
  "timeline_requests_of_key",
  `SELECT at, via, outcome, status, latency_ms AS "latencyMs", resumed_from AS "resumedFrom"
     FROM request_log
    WHERE merchant_id = $1 AND operation = $2 AND idempotency_key = $3
    ORDER BY at, id`,
);

const WEBHOOKS_OF_PAYMENT = statement(
  "timeline_webhooks_of_payment",
  `SELECT type, applied, note, received_at AS "receivedAt" FROM webhook_events WHERE payment_id = $1 ORDER BY received_at, id`,
);

interface RecordRow {
  operation: string;
  key: string;
  state: string;
  executions: number;
  recoveryPoint: string | null;
  checkpoints: Record<string, { at: string }> | null;
  responseStatus: number | null;
  responseBody: string | null;
  paymentId: string | null;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date;
}

interface RequestRow {
  at: Date;
  via: string | null;
  outcome: string;
  status: number;
  latencyMs: number;
  resumedFrom: string | null;
}

function toRecord({ checkpoints, createdAt, completedAt, expiresAt, ...row }: RecordRow) {
  const recoveryPoints = Object.entries(checkpoints ?? {})
    .map(([point, { at }]) => ({ point, at: new Date(at).toISOString() }))
    .sort((a, b) => a.at.localeCompare(b.at));
  return { ...row, recoveryPoints, createdAt: createdAt.toISOString(), completedAt: completedAt?.toISOString() ?? null, expiresAt: expiresAt.toISOString() };
}

async function requestsOf(db: Sql, merchant: string, operation: string, key: string): Promise<KeyTimeline["requests"]> {
  const rows = await db.rows<RequestRow>(REQUESTS_OF_KEY, [merchant, operation, key]);
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}

async function webhooksOf(db: Sql, paymentId: string | null): Promise<KeyTimeline["webhooks"]> {
  if (!paymentId) return [];
  const rows = await db.rows<{ type: string; applied: boolean; note: string | null; receivedAt: Date }>(WEBHOOKS_OF_PAYMENT, [paymentId]);
  return rows.map((r) => ({ ...r, receivedAt: r.receivedAt.toISOString() }));
}

/** The timeline of any key of a merchant (the dashboard's view). */
export async function keyTimeline(db: Sql, merchant: string, operation: string, key: string): Promise<KeyTimeline> {
  const [row] = await db.rows<RecordRow>(RECORD_BY_KEY, [merchant, operation, key]);
  // Only a payment's own key: other operations' records may hold another resource's id.
  const paymentId = row && operation === CREATE_PAYMENT ? row.paymentId : null;
  return keyTimelineSchema.parse({
    record: row ? toRecord(row) : null,
    requests: await requestsOf(db, merchant, operation, key),
    webhooks: await webhooksOf(db, paymentId),
  });
}

/** The timeline of the key that created the merchant's payment `paymentId`; null for a payment that is not theirs. */
export async function paymentTimeline(db: Sql, merchant: string, paymentId: string): Promise<KeyTimeline | null> {
  const [row] = await db.rows<RecordRow>(RECORD_BY_PAYMENT, [paymentId, merchant, CREATE_PAYMENT]);
  if (!row) return null;
  return keyTimelineSchema.parse({
    record: toRecord(row),
    requests: await requestsOf(db, merchant, row.operation, row.key),
    webhooks: await webhooksOf(db, paymentId),
  });
}
