import { listEvents } from "../events/outbox";
import { listEventsQuery } from "../events/schema";
import { paymentEvent } from "../payments/events";
import { problemError } from "../problem";
import { latestReceipt, receiptDocument } from "../receipts/queries";
import { route } from "./handler";
import { merchantOf } from "./merchant";
import { json, readQuery } from "./respond";

/** GET /api/v1/events?limit=N&after=evt_… */
export const listEventsRoute = route(async ({ request, app }) => {
  const merchant = await merchantOf(app, request);
  const page = readQuery(request, listEventsQuery);
  const events = await listEvents(app.db.sql, merchant.id, page);
  if (!events) throw problemError("not_found", `No event with id "${page.after}".`);
  return json({
    object: "list",
    data: events.data.map(paymentEvent).map(({ merchant: _merchant, ...event }) => event),
    hasMore: events.hasMore,
  });
});

/** GET /api/v1/payments/{id}/receipt: where the newest receipt is, once the receipts consumer has run. */
export const paymentReceiptRoute = route<{ id: string }>(async ({ request, app }, { id }) => {
  const merchant = await merchantOf(app, request, { publishable: true });
  const receipt = await latestReceipt(app.db.sql, merchant.id, id);
  if (!receipt) throw problemError("not_found", `No receipt for payment "${id}" yet.`);
  return json(receipt);
});

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * GET /api/v1/receipts/{sha256}: the stored bytes, unchanged, so they hash to their address. Like
 * a Stripe receipt URL it needs no key: the address is unguessable without the document. The
 * document names a customer: the browser may keep it for good (its bytes never change at this
 * address), shared caches never (`private`).
 */
export const receiptDocumentRoute = route<{ sha256: string }>(async ({ app }, { sha256 }) => {
  if (!SHA256.test(sha256)) throw problemError("not_found", "A receipt address is 64 lowercase hex digits (a SHA-256).");
  const body = await receiptDocument(app.db.sql, sha256);
  if (body === null) throw problemError("not_found", `No receipt at ${sha256}.`);
  return new Response(body, { status: 200, headers: { "content-type": "application/json", "cache-control": "private, max-age=31536000, immutable" } });
});
