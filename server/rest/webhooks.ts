import { toResponse } from "../idempotency/adapters/http";
import { applyEvent } from "../webhooks/apply";
import { verifyEvent } from "../webhooks/verify";
import { route } from "./handler";
import { readText } from "./respond";

/** Every provider event is one call in this scope; its key is the event id. */
export const PROVIDER_SCOPE = "provider";
/** How long a redelivery of an event still being applied waits for it, to be answered 200 as a replay. */
const REDELIVERY_WAIT_MS = 10_000;

/** POST /api/v1/webhooks/provider */
export const providerWebhookRoute = route(async ({ request, requestId, app }) => {
  const raw = await readText(request);
  const secrets = [app.config.PROVIDER_WEBHOOK_SECRET, app.config.PROVIDER_WEBHOOK_SECRET_PREVIOUS].filter((s): s is string => !!s);
  let event;
  try {
    event = verifyEvent(raw, request.headers.get("stripe-signature"), secrets);
  } catch (error) {
    // Observed like any refused call, so the dashboard counts rejected signatures; nothing is stored.
    return toResponse(app.calls.reject({ operation: "webhook", via: "webhook", requestId }, { scope: PROVIDER_SCOPE }, error));
  }
  return toResponse(
    await app.calls.run({
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
    }),
  );
});
