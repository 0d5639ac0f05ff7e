"use client";

import type { TryLogEntry } from "../_checkout/attempt";
import { formatMoney } from "../_checkout/catalog";
import type { PaidPayment } from "../_checkout/use-checkout";

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

export function Receipt({ payment, log, balance }: { payment: PaidPayment; log: TryLogEntry[]; balance: number | undefined }) {
  const replays = log.filter((e) => e.replayed).length;
  return (
    <section className="card receipt" data-testid="receipt" aria-labelledby="receipt-title">
      <h2 id="receipt-title">Receipt</h2>
      <dl>
        <dt>Payment</dt>
        <dd>
          <code data-testid="payment-id">{payment.id}</code>
        </dd>
        <dt>Idempotency key</dt>
        <dd>
          <code data-testid="receipt-key">{payment.idempotencyKey}</code>
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
        <dt>Merchant balance</dt>
        <dd data-testid="receipt-balance">{balance === undefined ? "…" : formatMoney(balance, payment.currency)}</dd>
      </dl>
      <TryList log={log} />
    </section>
  );
}
