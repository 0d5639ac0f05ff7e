import { describe, expect, it } from "vitest";
import { check, mismatchedPayments, type CheckInput } from "@/chaos/checker";
import { History } from "@/chaos/history";
import type { Truth } from "@/chaos/truth";
import type { PaymentIntent } from "@/simulator/payment-intents";

const intent = (id: string, payment: string, status: PaymentIntent["status"] = "succeeded", amount = 1000): PaymentIntent => ({
  id,
  object: "payment_intent",
  amount,
  amount_received: status === "succeeded" ? amount : 0,
  amount_refunded: 0,
  currency: "usd",
  status,
  created: 0,
  livemode: false,
  metadata: { oncepay_payment: payment },
  payment_method: "pm_card_visa",
  latest_charge: `ch_${id}`,
  last_payment_error: null,
  description: null,
  customer: null,
});

/**
 * One payment of 1000 that went through everything, consistent from end to end: charged once,
 * refunded 200 through the API, disputed 100, every movement with its event, applied by every
 * consumer, the projection and receipts up to date, and the client told its 201.
 */
function consistent(): CheckInput {
  const truth: Truth = {
    provider: {
      payment_intents: [intent("pi_1", "pay_1")],
      refunds: [
        {
          id: "re_1",
          object: "refund",
          amount: 200,
          payment_intent: "pi_1",
          charge: "ch_pi_1",
          currency: "usd",
          status: "succeeded",
          reason: null,
          created: 0,
          metadata: {},
        },
      ],
      disputes: [
        {
          id: "dp_1",
          object: "dispute",
          amount: 100,
          payment_intent: "pi_1",
          charge: "ch_pi_1",
          currency: "usd",
          reason: "general",
          status: "needs_response",
          created: 0,
        },
      ],
      events: [],
    },
    local: {
      payments: [
        {
          id: "pay_1",
          merchant_id: "alice",
          status: "succeeded",
          amount: 1000,
          currency: "usd",
          amount_refunded: 200,
          provider_payment_id: "pi_1",
          idempotency_key: "k1",
        },
      ],
      refunds: [{ id: "rf_1", payment_id: "pay_1", status: "succeeded", amount: 200, origin: "api" }],
      entries: [
        { merchant_id: "alice", currency: "usd", amount: 1000, source_type: "payment", source_id: "pay_1" },
        { merchant_id: "alice", currency: "usd", amount: -200, source_type: "refund", source_id: "rf_1" },
        { merchant_id: "alice", currency: "usd", amount: -100, source_type: "dispute", source_id: "dp_1" },
      ],
      events: [
        { id: "evt_1", type: "payment.succeeded", subject_id: "pay_1", published: true },
        { id: "evt_2", type: "refund.succeeded", subject_id: "rf_1", published: true },
        { id: "evt_3", type: "dispute.created", subject_id: "dp_1", published: true },
      ],
      inboxes: new Map(["receipts", "revenue", "revenue@v1"].map((c) => [c, ["evt_1", "evt_2", "evt_3"]])),
      consumers: ["receipts", "revenue", "revenue@v1"],
      receipts: [
        { payment_id: "pay_1", version: 1, sha256: "a", stored: true },
        { payment_id: "pay_1", version: 2, sha256: "b", stored: true },
      ],
      revenue: [{ merchant_id: "alice", currency: "usd", gross: 1000, net: 700, count: 1 }],
      unappliedWebhooks: {},
      jobs: {},
    },
  };
  const history = new History();
  const body = { amount: 1000, currency: "usd" };
  history.request({ client: 0, operation: "payment", via: "rest", merchant: "alice", key: "k1", body, status: 409, replayed: false, at: 0, ms: 1 });
  history.request({
    client: 0,
    operation: "payment",
    via: "rest",
    merchant: "alice",
    key: "k1",
    body,
    status: 201,
    id: "pay_1",
    amount: 1000,
    currency: "usd",
    replayed: false,
    at: 1,
    ms: 1,
  });
  history.attempts.push({ client: 0, operation: "payment", via: "rest", merchant: "alice", key: "k1", body, final: 201, id: "pay_1", requests: 2 });
  return { truth, history, logs: [{ name: "app-1", text: '{"level":40,"msg":"slow provider"}\nready on 3000\n' }] };
}

const corruptions: [string, (input: CheckInput) => void, [check: string, subject: string]][] = [
  ["a second charge", (i) => void i.truth.provider.payment_intents.push(intent("pi_2", "pay_1")), ["charged-twice", "pay_1"]],
  [
    "a second, failed PaymentIntent",
    (i) => void i.truth.provider.payment_intents.push(intent("pi_2", "pay_1", "requires_payment_method")),
    ["intent-twice", "pay_1"],
  ],
  ["a charge Oncepay has no payment for", (i) => void i.truth.provider.payment_intents.push(intent("pi_9", "pay_9")), ["intent-without-payment", "pay_9"]],
  ["a charged payment recorded failed", (i) => void (i.truth.local.payments[0]!.status = "failed"), ["payment-vs-provider", "pay_1"]],
  ["a payment of another amount than charged", (i) => void (i.truth.local.payments[0]!.amount = 999), ["payment-vs-provider", "pay_1"]],
  ["a credit missing", (i) => void i.truth.local.entries.splice(0, 1), ["ledger-credit", "pay_1"]],
  [
    "a refund at the provider never counted",
    (i) => void i.truth.provider.refunds.push({ ...i.truth.provider.refunds[0]!, id: "re_2", amount: 50 }),
    ["ledger-refunds", "pay_1"],
  ],
  ["a refund debit missing", (i) => void i.truth.local.entries.splice(1, 1), ["ledger-refunds", "pay_1"]],
  ["amount_refunded off", (i) => void (i.truth.local.payments[0]!.amount_refunded = 100), ["ledger-refunds", "pay_1"]],
  ["a dispute debit missing", (i) => void i.truth.local.entries.splice(2, 1), ["ledger-disputes", "pay_1"]],
  [
    "a dispute debit the provider never opened",
    (i) => void i.truth.local.entries.push({ merchant_id: "alice", currency: "usd", amount: -5, source_type: "dispute", source_id: "dp_9" }),
    ["ledger-disputes", "dp_9"],
  ],
  ["a 201 naming a payment that is not there", (i) => void i.history.requests.push({ ...i.history.requests[1]!, id: "pay_404" }), ["client-201", "alice/k1"]],
  ["a 201 of another amount", (i) => void i.history.requests.push({ ...i.history.requests[1]!, amount: 10 }), ["client-201", "alice/k1"]],
  [
    "two payments for one key",
    (i) => void i.truth.local.payments.push({ ...i.truth.local.payments[0]!, id: "pay_2", status: "failed", provider_payment_id: null, amount_refunded: 0 }),
    ["one-payment-per-key", "alice/k1"],
  ],
  ["an attempt that never got an answer", (i) => void (i.history.attempts[0]!.final = null), ["no-final-answer", "alice/k1"]],
  ["a paid attempt that ended in a 503", (i) => void (i.history.attempts[0]!.final = 503), ["client-201", "alice/k1"]],
  ["a 500", (i) => void i.history.requests.push({ ...i.history.requests[0]!, status: 500 }), ["status-500", "k1"]],
  ["an event missing", (i) => void i.truth.local.events.splice(1, 1), ["event-per-movement", "refund.succeeded/rf_1"]],
  ["an event never published", (i) => void (i.truth.local.events[2]!.published = false), ["events-unpublished", "relay"]],
  ["an inbox row missing", (i) => void i.truth.local.inboxes.set("revenue", ["evt_1", "evt_3"]), ["inbox", "revenue"]],
  ["an inbox row for no event", (i) => void i.truth.local.inboxes.get("receipts")!.push("evt_9"), ["inbox", "receipts"]],
  ["the projection off the ledger", (i) => void (i.truth.local.revenue[0]!.net = 800), ["revenue", "alice/usd"]],
  ["a receipt version missing", (i) => void i.truth.local.receipts.pop(), ["receipts", "pay_1"]],
  ["a receipt document missing", (i) => void (i.truth.local.receipts[0]!.stored = false), ["receipts", "documents"]],
  ["a payment left processing", (i) => void (i.truth.local.payments[0]!.status = "processing"), ["processing-left", "pay_1"]],
  ["a refund left pending", (i) => void (i.truth.local.refunds[0]!.status = "pending"), ["pending-left", "rf_1"]],
  ["an error logged", (i) => void (i.logs[0]!.text += '{"level":50,"msg":"request failed"}\n'), ["log-error", "app-1"]],
  ["an unhandled rejection", (i) => void (i.logs[0]!.text += "⨯ unhandledRejection: Error: boom\n"), ["log-error", "app-1"]],
];

describe("the chaos checker", () => {
  it("finds nothing in a consistent run", () => {
    expect(check(consistent())).toEqual([]);
  });

  it.each(corruptions)("reports %s", (_, corrupt, [expectedCheck, subject]) => {
    const input = consistent();
    corrupt(input);
    const findings = check(input);
    expect(findings.map((f) => [f.check, f.subject])).toContainEqual([expectedCheck, subject]);
  });

  it("counts a payment once however many ways its money differs", () => {
    const input = consistent();
    input.truth.local.entries = [];
    expect(mismatchedPayments(check(input))).toEqual(["pay_1"]);
  });
});
