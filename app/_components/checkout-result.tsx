"use client";

import { useQuery } from "@tanstack/react-query";
import type { TryLogEntry } from "../_checkout/attempt";
import { formatMoney } from "../_checkout/catalog";
import type { PaidPayment } from "../_checkout/use-checkout";
import { useTRPC } from "../_trpc/client";
import { RecoveryPoints, resumptions, TimelineRequests, TimelineWebhooks, viaLabel, type KeyTimelineData } from "./key-timeline";

/** Every try of the attempt (one key), with its outcome and whether it was a replay. */
export function TryList({ log }: { log: TryLogEntry[] }) {
  return (
    <ol className="tries" data-testid="tries">
      {log.map((entry) => (
        <li key={entry.n} className={entry.ok ? "ok" : "bad"}>
          Try {entry.n}: {entry.label}
          {entry.replayed && <span className="badge">replay</span>}
        </li>
      ))}
    </ol>
  );
}

/** The checkout's result card: what was paid, under which key, and how the server got there. */
export function CheckoutResult({ payment, log }: { payment: PaidPayment; log: TryLogEntry[] }) {
  const replays = log.filter((e) => e.replayed).length;
  return (
    <section className="card checkout-result" data-testid="checkout-result" aria-labelledby="result-title">
      <h2 id="result-title">Result</h2>
      <dl>
        <dt>Payment</dt>
        <dd>
          <code data-testid="payment-id">{payment.id}</code>
        </dd>
        <dt>Idempotency key</dt>
        <dd>
          <code data-testid="result-key">{payment.idempotencyKey}</code>
        </dd>
        <dt>Amount</dt>
        <dd>{formatMoney(payment.amount, payment.currency)}</dd>
        {payment.description && (
          <>
            <dt>For</dt>
            <dd>{payment.description}</dd>
          </>
        )}
        <dt>Tries</dt>
        <dd data-testid="try-count">
          {log.length} ({replays} {replays === 1 ? "replay" : "replays"})
        </dd>
        <dt>Provider PaymentIntent</dt>
        <dd>
          <code data-testid="provider-payment-id">{payment.providerPaymentId ?? "—"}</code>
        </dd>
        <dt>Provider key</dt>
        <dd>
          <code data-testid="provider-key">{payment.providerIdempotencyKey ?? "—"}</code>
        </dd>
        <ReceiptDocument paymentId={payment.id} />
      </dl>
      <TryList log={log} />
      <PaymentTimeline paymentId={payment.id} />
    </section>
  );
}

/**
 * The receipt document the receipts consumer stores, content-addressed: read again until it exists
 * (the consumer runs within a second or so of the payment).
 */
function ReceiptDocument({ paymentId }: { paymentId: string }) {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.payment.receipt.queryOptions({ id: paymentId }), refetchInterval: (q) => (q.state.data ? false : 500) });
  return (
    <>
      <dt>Receipt document</dt>
      <dd aria-busy={!data}>
        {data ? (
          <a href={data.url} data-testid="receipt-document" data-sha256={data.sha256} target="_blank" rel="noopener">
            <code>{data.sha256.slice(0, 12)}</code> · v{data.version}
          </a>
        ) : (
          <span className="muted" data-testid="receipt-document-pending">
            Being written…
          </span>
        )}
      </dd>
    </>
  );
}

/** The request history is written a moment after each answer: read it again until the paying request is in. */
const settled = (data: KeyTimelineData | undefined) => data?.requests.some((r) => r.status < 300) === true;

/** What the server recorded under the key: its recovery points, and whether an execution resumed from one. */
function PaymentTimeline({ paymentId }: { paymentId: string }) {
  const trpc = useTRPC();
  const timeline = useQuery({ ...trpc.payment.timeline.queryOptions({ id: paymentId }), refetchInterval: (q) => (settled(q.state.data) ? false : 500) });
  const data = timeline.data;
  if (!data) return null;
  const resumed = resumptions(data.requests);
  return (
    <div className="payment-timeline" data-testid="payment-timeline">
      <h3>On the server</h3>
      <p data-testid="resumption">
        {resumed.length === 0
          ? "Not resumed: one execution ran every step."
          : resumed.map((r) => `Resumed from ${r.resumedFrom}${r.via === "job" ? " by the completer" : ` (${viaLabel(r.via)} retry)`}`).join("; ") + "."}
        {data.record && ` Executed ${data.record.executions}×.`}
      </p>
      <RecoveryPoints points={data.record?.recoveryPoints ?? []} />
      <TimelineRequests requests={data.requests} testId="timeline-requests" />
      <TimelineWebhooks webhooks={data.webhooks} testId="timeline-webhooks" />
    </div>
  );
}
