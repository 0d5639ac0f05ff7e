import { statement, type Sql } from "../db/sql";
import type { Steps } from "@oncepay/idempotency";
import type { StaleRecord } from "../jobs/reaper";
import { NO_REFUND, refundAnswerSchema, type PaymentProvider } from "../provider/provider";
import { RefundPoint, type PreparedRefund } from "./operation";
import type { ReservedRefund } from "./refund-payment";

/** An API refund pending for too long, with what the provider was asked and its record (if still there). */
export interface StaleRefund extends StaleRecord {
  amount: number;
  payment_intent: string;
}

const STALE = statement(
  "refund_stale",
  `SELECT f.id, f.merchant_id, f.amount, p.provider_payment_id AS payment_intent,
          r.scope AS record_scope, r.key AS record_key, r.input AS record_input, r.state AS record_state
     FROM refunds f JOIN payments p ON p.id = f.payment_id LEFT JOIN idempotency_records r ON r.id = f.idempotency_record_id
    WHERE f.status = 'pending' AND f.created_at < now() - $1::int * interval '1 second'
    ORDER BY f.created_at LIMIT $2::int`,
);

/** Refunds `pending` for longer than `seconds`, oldest first. */
export function staleRefunds(sql: Sql, seconds: number, limit: number): Promise<StaleRefund[]> {
  return sql.rows<StaleRefund>(STALE, [seconds, limit]);
}

/** The reaper's steps for one refund: the provider's own answer (found by our refund's id in its metadata), never a refund. */
export function reapRefundSteps(provider: PaymentProvider, reserved: ReservedRefund) {
  return async (steps: Steps<Sql>): Promise<PreparedRefund> => {
    const answer = await steps.external(
      RefundPoint.Refunded,
      async () => (await provider.findRefund(reserved.paymentIntent, reserved.refundId)) ?? { status: "failed" as const, code: NO_REFUND },
      (saved) => refundAnswerSchema.parse(saved),
    );
    return { reserved, answer };
  };
}
