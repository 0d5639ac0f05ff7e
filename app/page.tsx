"use client";

import Link from "next/link";
import { useState, useSyncExternalStore, type FormEvent } from "react";
import { cartCount, cartDescription, cartTotal, CURRENCIES, formatMoney, type Cart, type Currency } from "./_checkout/catalog";
import { DEFAULT_FAULTS, type FaultSettings } from "./_checkout/faults";
import { MAX_RETRIES } from "./_checkout/retry";
import { useCheckout, type Phase } from "./_checkout/use-checkout";
import { useStoredState } from "./_checkout/use-stored-state";
import { FaultToggle } from "./_components/fault-toggle";
import { CheckoutResult, TryList } from "./_components/checkout-result";
import { Shop } from "./_components/shop";
import { useMerchant } from "./_trpc/client";

const INITIAL_CART: Cart = { tee: 1 };

export default function CheckoutPage() {
  const { merchants, merchant, setMerchant } = useMerchant();
  // False in the server's HTML, true once React runs in the browser (tests wait for it).
  const hydrated = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  const [cart, setCart] = useStoredState<Cart>("oncepay.cart", INITIAL_CART);
  const [currency, setCurrency] = useStoredState<Currency>("oncepay.currency", "usd");
  const [customer, setCustomer] = useStoredState("oncepay.customer", "");
  const [forcedKey, setForcedKey] = useState("");
  const [faults, setFaults] = useStoredState<FaultSettings>("oncepay.faults", DEFAULT_FAULTS, "local");

  const { attempt, phase, runs, pay, startOver, busy } = useCheckout(faults);

  const amount = cartTotal(cart, currency);
  const description = cartDescription(cart);
  const signature = [merchant, currency, amount, description, customer.trim()].join("|");
  const current = attempt && attempt.signature === signature && attempt.state !== "paid" ? attempt : null;
  // While an attempt's outcome is unknown, what it pays for must not change: a new key could charge twice.
  const unresolved = busy || attempt?.state === "failed" || attempt?.state === "interrupted";
  // Paid, and the cart not changed since: paying again needs an explicit new checkout, so a late
  // second click or Enter can never start a second payment.
  const paidThisCart = phase.kind === "paid" && attempt?.state === "paid" && attempt.signature === signature;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (amount === 0 || paidThisCart) return;
    pay({ signature, body: { amount, currency, description, ...(customer.trim() ? { customer: customer.trim() } : {}) }, forcedKey: forcedKey.trim() });
  }

  return (
    <main data-hydrated={hydrated}>
      <header className="top">
        <h1>Oncepay</h1>
        <Link href="/dashboard" className="nav">
          Dashboard →
        </Link>
        <label className="merchant">
          <span>Merchant</span>
          <select value={merchant} disabled={unresolved} onChange={(e) => setMerchant(e.target.value)}>
            {merchants.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      {merchants.length === 0 && (
        <p className="card bad" role="alert">
          No merchant has a publishable key: start with ONCEPAY_DEMO=1, or give one in ONCEPAY_MERCHANTS (id:sk_…:pk_…).
        </p>
      )}

      <form className="card checkout" onSubmit={submit} aria-label="Checkout">
        <div className="row head">
          <h2>Your cart</h2>
          <label className="currency">
            <span>Currency</span>
            <select value={currency} disabled={unresolved} onChange={(e) => setCurrency(e.target.value as Currency)}>
              {CURRENCIES.map((c) => (
                <option key={c} value={c}>
                  {c.toUpperCase()}
                </option>
              ))}
            </select>
          </label>
        </div>
        <Shop cart={cart} currency={currency} locked={unresolved} onChange={setCart} />
        <label htmlFor="customer">Customer</label>
        <input
          id="customer"
          value={customer}
          disabled={unresolved}
          placeholder="cus_123 (cus_declined always declines)"
          autoComplete="off"
          onChange={(e) => setCustomer(e.target.value)}
        />
        <div className="total">
          <span>
            Total ({cartCount(cart)} {cartCount(cart) === 1 ? "item" : "items"})
          </span>
          <strong data-testid="total">{formatMoney(amount, currency)}</strong>
        </div>
        {paidThisCart ? (
          // Its own key: reusing the Pay button's element would turn this click into a form submit.
          <button key="new-checkout" type="button" className="pay secondary" onClick={startOver}>
            Paid. Start a new checkout
          </button>
        ) : (
          <button key="pay" type="submit" className="pay" disabled={busy || amount === 0} aria-busy={busy}>
            {busy ? "Paying…" : attempt && unresolved ? "Try again" : `Pay ${formatMoney(amount, currency)}`}
          </button>
        )}
        <KeyLine attemptKey={(unresolved ? attempt : current)?.key} />
      </form>

      <Status phase={phase} runs={runs} onStartOver={unresolved && !busy ? startOver : undefined} />
      {phase.kind === "paid" && <CheckoutResult payment={phase.payment} log={phase.log} />}

      <FaultToggle settings={faults} onChange={setFaults} />
      <details className="card advanced">
        <summary>Advanced: choose the next attempt&apos;s key</summary>
        <label htmlFor="forced-key">Idempotency key for the next new attempt (empty: a fresh random key)</label>
        <input id="forced-key" value={forcedKey} autoComplete="off" onChange={(e) => setForcedKey(e.target.value)} />
      </details>
    </main>
  );
}

const noSubscription = () => () => undefined;

function KeyLine({ attemptKey }: { attemptKey: string | undefined }) {
  if (!attemptKey) return <p className="key muted">A new idempotency key is made when you pay.</p>;
  return (
    <p className="key">
      Idempotency key <code data-testid="attempt-key">{attemptKey}</code>
      <button type="button" className="link" onClick={() => void navigator.clipboard?.writeText(attemptKey)}>
        Copy
      </button>
    </p>
  );
}

function Status({ phase, runs, onStartOver }: { phase: Phase; runs: number; onStartOver?: () => void }) {
  return (
    <section className="card status" role="status" aria-live="polite" data-testid="status" data-phase={phase.kind} data-runs={runs}>
      {phase.kind === "idle" && <p className="muted">Ready when you are.</p>}
      {phase.kind === "paying" && <p>Paying…</p>}
      {phase.kind === "retrying" && (
        <p>
          Retrying ({phase.retry}/{MAX_RETRIES})…
        </p>
      )}
      {phase.kind === "waiting" && (
        <p>
          Retrying ({phase.retry}/{MAX_RETRIES})… <span className="muted">after {phase.reason}</span>
        </p>
      )}
      {phase.kind === "paid" && (
        <p className="ok">
          Paid <code>{phase.payment.id}</code>
          {phase.log.some((e) => e.replayed) && <span className="badge">recovered from a replay</span>}
        </p>
      )}
      {phase.kind === "declined" && (
        <>
          <p className="bad">Declined: {phase.problem.detail}</p>
          <p className="muted">
            Nothing was charged. Paying again with the same cart replays this answer; change the cart or the customer to start a new attempt.
          </p>
          <TryList log={phase.log} />
        </>
      )}
      {phase.kind === "failed" && (
        <>
          <p className="bad">Failed: {phase.reason}</p>
          {onStartOver && <p className="muted">Try again reuses the same key, so it can never charge twice.</p>}
        </>
      )}
      {onStartOver && (
        <button type="button" className="link" onClick={onStartOver}>
          Start over with a new key
        </button>
      )}
    </section>
  );
}
