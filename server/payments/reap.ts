import { statement, type Sql } from "../db/sql";
import type { Steps } from "@oncepay/idempotency";
import type { StaleRecord } from "../jobs/reaper";
import { chargeAnswerSchema, NO_CHARGE, type PaymentProvider } from "../provider/provider";
import { PaymentPoint, type Prepared } from "./operation";

/** A payment processing for too long, with the record that was executing it (if it is still there). */
export type StalePayment = StaleRecord;

const STALE = statement(
  "payment_stale",
  `SELECT p.id, p.merchant_id, r.scope AS record_scope, r.key AS record_key, r.input AS record_input, r.state AS record_state
     FROM payments p LEFT JOIN idempotency_records r ON r.id = p.idempotency_record_id
    WHERE p.status = 'processing' AND p.created_at < now() - $1::int * interval '1 second'
    ORDER BY p.created_at LIMIT $2::int`,
);

/** Payments `processing` for longer than `seconds`, oldest first (a partial index keeps this cheap). */
export function stalePayments(sql: Sql, seconds: number, limit: number): Promise<StalePayment[]> {
  return sql.rows<StalePayment>(STALE, [seconds, limit]);
}

/**
 * The reaper's steps for one payment: the provider's own answer, never a charge. If an earlier
 * execution saved the charge's answer, that is it; otherwise the provider is asked which
 * PaymentIntent carries the payment's id, and none means it failed without a charge
 * (`provider_no_charge`). The answer is saved as the `charged` recovery point, so whoever runs the
 * record next sees the same one; the final commit is payment.create's own.
 */
export function reapSteps(provider: PaymentProvider, paymentId: string) {
  return async (steps: Steps<Sql>): Promise<Prepared> => {
    const charge = await steps.external(
      PaymentPoint.Charged,
      async () => (await provider.findCharge(paymentId)) ?? { status: "failed" as const, providerPaymentId: null, code: NO_CHARGE },
      (saved) => chargeAnswerSchema.parse(saved),
    );
    return { paymentId, charge };
  };
}
