import { describe, expect, it } from "vitest";
import { REAP_PAYMENT, REAP_REFUND } from "@/server/app/jobs";
import { CONSUME } from "@/server/events/consumer";
import { metrics, OPERATION_LABELS, recordOutcome } from "@/server/observability/metrics";
import { CREATE_PAYMENT } from "@/server/payments/operation";
import { CREATE_REFUND } from "@/server/refunds/operation";
import { ProviderEventType } from "@/server/webhooks/event";

describe("operation labels", () => {
  it("name every operation of ours and every provider event type we apply", () => {
    for (const operation of [CREATE_PAYMENT, CREATE_REFUND, REAP_PAYMENT, REAP_REFUND, CONSUME, "webhook", ...Object.values(ProviderEventType)]) {
      expect(OPERATION_LABELS.has(operation)).toBe(true);
    }
  });

  it("count any other operation (a webhook type a signer chose) as `other`", async () => {
    recordOutcome("attacker.type.\u00e9\u0000", "executed", 0.01);
    recordOutcome("payment.create", "executed", 0.01);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain("attacker.type");
    expect(text).toMatch(/oncepay_idempotency_requests_total\{operation="other",outcome="executed"\} 1/);
  });
});
