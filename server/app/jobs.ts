import type { Logger } from "pino";
import type { CallPipeline, IdempotencyEngine, IdempotentOperation } from "@oncepay/idempotency";
import type { SqlPool, Sql } from "../db/sql";
import type { Env } from "../env";
import { cleanupJob } from "../jobs/cleanup";
import { Completer, type Resume } from "../jobs/completer";
import { reap, reaperJob, reapThrough } from "../jobs/reaper";
import type { Job } from "../jobs/scheduler";
import type { CreatePaymentOperation, Prepared } from "../payments/operation";
import { reapSteps, stalePayments, type StalePayment } from "../payments/reap";
import type { PaymentProvider } from "../provider/provider";
import type { CreateRefundOperation, PreparedRefund } from "../refunds/operation";
import { reapRefundSteps, staleRefunds, type StaleRefund } from "../refunds/reap";
import { sweepAwaiting } from "../webhooks/awaiting";

/**
 * A fifth of the time while a backlog lasts: measured with 300 000 expired records on this 2-core
 * machine, deleting flat out (a batch every 50 ms) raised request p99 by 16–25 %; see bench/README.md.
 */
const CLEANUP_SHARE = 0.2;

/** What settling one payment or refund left alone needs when its original record is gone. */
export const REAP_PAYMENT = "payment.reap";
export const REAP_REFUND = "refund.reap";

interface Parts {
  config: Env;
  sql: SqlPool;
  engine: IdempotencyEngine<Sql>;
  calls: CallPipeline<Sql>;
  provider: PaymentProvider;
  operations: { createPayment: CreatePaymentOperation; createRefund: CreateRefundOperation };
  log: Logger;
}

/** The completer, the reaper and the cleanup, wired to the operations they run. */
export function backgroundJobs({ config, sql, engine, calls, provider, operations, log }: Parts): Job[] {
  // The completer runs an abandoned record again as a job, from the input the record kept.
  const resumer = <I, S>(op: IdempotentOperation<Sql, I, S>): [string, Resume] => [
    op.operation,
    (record) => calls.run({ ...op, via: "job", scope: () => record.scope, key: () => record.key, input: () => op.schema.parse(record.input) }),
  ];
  const completer = new Completer(engine, Object.fromEntries([resumer(operations.createPayment), resumer(operations.createRefund)]), {
    intervalMs: config.COMPLETER_INTERVAL_SECONDS * 1000,
    batch: 20,
    maxAgeSeconds: config.PROCESSING_TIMEOUT_SECONDS,
    log,
  });

  // Past the processing timeout a payment is the reaper's, not the completer's: see CompleterOptions.
  const timeout = config.PROCESSING_TIMEOUT_SECONDS;
  // Through the record that was executing it, taken over like any retry, so nobody else can finish
  // it meanwhile; one whose record is gone (an older version deleted it) under a key of its own.
  const reapPayment = (payment: StalePayment) =>
    calls.run<unknown, Prepared>({
      ...reapThrough(payment, operations.createPayment, REAP_PAYMENT),
      via: "job",
      steps: reapSteps(provider, payment.id),
      effect: (tx, args) => operations.createPayment.effect(tx, args),
    });
  const reapRefund = (refund: StaleRefund) =>
    calls.run<unknown, PreparedRefund>({
      ...reapThrough(refund, operations.createRefund, REAP_REFUND),
      via: "job",
      steps: reapRefundSteps(provider, { refundId: refund.id, paymentIntent: refund.payment_intent, amount: refund.amount }),
      effect: (tx, args) => operations.createRefund.effect(tx, args),
    });
  const reaper = reaperJob(
    [
      reap({ kind: "payments", stale: (limit) => stalePayments(sql, timeout, limit), settle: reapPayment, describe: (p) => ({ payment: p.id }) }),
      reap({ kind: "refunds", stale: (limit) => staleRefunds(sql, timeout, limit), settle: reapRefund, describe: (r) => ({ refund: r.id }) }),
    ],
    { intervalMs: config.REAPER_INTERVAL_SECONDS * 1000, batch: 20, log, also: { awaiting: () => sweepAwaiting(sql, 20) } },
  );

  const cleanup = cleanupJob(sql, {
    intervalMs: config.CLEANUP_INTERVAL_SECONDS * 1000,
    batch: config.CLEANUP_BATCH,
    share: CLEANUP_SHARE,
    requestLogRetentionDays: config.REQUEST_LOG_RETENTION_DAYS,
    eventsRetentionDays: config.EVENTS_RETENTION_DAYS,
  });
  return [completer.job, reaper, cleanup];
}
