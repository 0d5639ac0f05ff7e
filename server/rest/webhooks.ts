import { readText, toResponse } from "@oncepay/idempotency/fetch";
import { PROVIDER_SCOPE, webhookCall } from "../webhooks/operation";
import { verifyEvent } from "../webhooks/verify";
import { route } from "./handler";

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
  return toResponse(await app.calls.run(webhookCall(event, requestId)));
});
