import type { IdempotentCall } from "@oncepay/idempotency";
import type { Sql } from "../db/sql";
import { applyEvent } from "./apply";
import type { ProviderEvent } from "./event";

/** Every provider event is one call in this scope; its key is the event id. */
export const PROVIDER_SCOPE = "provider";
/** How long a redelivery of an event still being applied waits for it, to be answered 200 as a replay. */
const REDELIVERY_WAIT_MS = 10_000;

/** A verified provider event as one idempotent call: its type is the operation, its id the key, applied once. */
export function webhookCall(event: ProviderEvent, requestId?: string): IdempotentCall<Sql, ProviderEvent> {
  return {
    operation: event.type,
    via: "webhook",
    requestId,
    scope: () => PROVIDER_SCOPE,
    key: () => event.id,
    input: () => event,
    waitMs: REDELIVERY_WAIT_MS,
    effect: async (tx, { input }) => {
      const applied = await applyEvent(tx, input);
      return { status: 200, body: { received: true }, headers: { "content-type": "application/json" }, resourceId: applied.paymentId ?? undefined };
    },
  };
}
