"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { DEMO_MERCHANTS, type DemoMerchantId } from "./_trpc/merchants";
import { useMerchant, useTRPC } from "./_trpc/client";

const CURRENCIES = ["usd", "eur", "gbp", "jpy"] as const;
type Currency = (typeof CURRENCIES)[number];

type Result =
  | { kind: "paid"; id: string; replayed: boolean }
  | { kind: "declined"; detail: string }
  | { kind: "failed"; detail: string };

/** Minimal checkout: one idempotency key per attempt, reused by "Try again" until an outcome is final. */
export default function CheckoutPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { merchant, setMerchant } = useMerchant();
  const [amount, setAmount] = useState("1999");
  const [currency, setCurrency] = useState<Currency>("usd");
  const [customer, setCustomer] = useState("");
  const [attemptKey, setAttemptKey] = useState<string | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const balance = useQuery(trpc.balance.get.queryOptions());
  const create = useMutation(trpc.payment.create.mutationOptions());

  async function pay(event: FormEvent) {
    event.preventDefault();
    if (create.isPending) return;
    const key = attemptKey ?? crypto.randomUUID();
    setAttemptKey(key);
    setResult(null);
    try {
      const payment = await create.mutateAsync({
        idempotencyKey: key,
        amount: Number(amount),
        currency,
        ...(customer ? { customer } : {}),
      });
      setResult({ kind: "paid", id: payment.id, replayed: payment.idempotentReplayed });
      setAttemptKey(null);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { data?: { code?: string } }).data?.code;
      if (code === "PAYMENT_REQUIRED") {
        setResult({ kind: "declined", detail: message });
        setAttemptKey(null);
      } else {
        setResult({ kind: "failed", detail: message });
      }
    } finally {
      await queryClient.invalidateQueries(trpc.balance.get.queryFilter());
    }
  }

  return (
    <main>
      <h1>Oncepay checkout</h1>
      <form className="card" onSubmit={pay}>
        <label htmlFor="merchant">Merchant</label>
        <select id="merchant" value={merchant} onChange={(e) => setMerchant(e.target.value as DemoMerchantId)}>
          {DEMO_MERCHANTS.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </select>
        <div className="row">
          <div>
            <label htmlFor="amount">Amount (minor units)</label>
            <input id="amount" inputMode="numeric" value={amount} onChange={(e) => setAmount(e.target.value)} />
          </div>
          <div>
            <label htmlFor="currency">Currency</label>
            <select id="currency" value={currency} onChange={(e) => setCurrency(e.target.value as Currency)}>
              {CURRENCIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </div>
        </div>
        <label htmlFor="customer">Customer (cus_declined declines)</label>
        <input id="customer" value={customer} onChange={(e) => setCustomer(e.target.value)} />
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? "Paying…" : attemptKey ? "Try again" : "Pay"}
        </button>
        {attemptKey && <p className="key" data-testid="attempt-key">Idempotency key: {attemptKey}</p>}
      </form>
      {result && (
        <section className="card" role="status" data-testid="result">
          {result.kind === "paid" && (
            <p className="ok">
              Paid: <code>{result.id}</code>
              {result.replayed && " (recovered from a replay)"}
            </p>
          )}
          {result.kind === "declined" && <p className="bad">Declined: {result.detail}</p>}
          {result.kind === "failed" && <p className="bad">Failed: {result.detail}</p>}
        </section>
      )}
      <section className="card" data-testid="balance">
        <strong>Balance</strong>
        {balance.data && balance.data.available.length === 0 && <p>No payments yet.</p>}
        <ul>
          {(balance.data?.available ?? []).map((b) => (
            <li key={b.currency}>
              {b.currency}: {b.amount}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
