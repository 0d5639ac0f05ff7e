import type http from "node:http";
import type { PGlite } from "@electric-sql/pglite";
import { z } from "zod";
import { allDisputes, createDispute } from "./disputes";
import { invalidRequest, resourceMissing } from "./errors";
import { allEvents } from "./events";
import { parseParams } from "./params";
import { allPaymentIntents } from "./payment-intents";
import { allRefunds } from "./refunds";
import { readParams, serialize, type Reply } from "./request";
import type { Dispatcher } from "./webhooks/dispatcher";
import { listAttempts } from "./webhooks/outbox";

/**
 * `/_simulator/…`: what Stripe does not expose but tests, reconciliation and the dashboard need. No
 * auth, as the simulator only ever listens locally.
 *   GET  /_simulator/ledger                    the whole ledger and the event outbox
 *   POST /_simulator/disputes                  open a dispute (payment_intent, amount?, reason?)
 *   POST /_simulator/events/:id/resend         one extra delivery of an event, now
 *   GET  /_simulator/deliveries[?event=evt_…]  the delivery attempts log
 *   GET|POST /_simulator/webhooks/chaos        read or switch chaos mode ({ "enabled": bool })
 */
export async function simulatorRoute(db: PGlite, dispatcher: Dispatcher | undefined, method: string, path: string, url: URL, req: http.IncomingMessage) {
  const ok = (body: unknown): Reply => serialize({ status: 200, body });
  if (method === "GET" && path === "/_simulator/ledger") {
    return ok({ payment_intents: await allPaymentIntents(db), refunds: await allRefunds(db), disputes: await allDisputes(db), events: await allEvents(db) });
  }
  if (method === "POST" && path === "/_simulator/disputes") {
    const params = await readParams(req);
    const dispute = await db.transaction((tx) => createDispute(tx, params));
    dispatcher?.wake();
    return ok(dispute);
  }
  if (method === "GET" && path === "/_simulator/deliveries") {
    const eventId = url.searchParams.get("event") ?? undefined;
    return ok({ object: "list", data: await listAttempts(db, { eventId }) });
  }
  const resend = /^\/_simulator\/events\/([^/]+)\/resend$/.exec(path);
  if (method === "POST" && resend?.[1]) {
    const eventId = decodeURIComponent(resend[1]);
    const outcome = await requireDelivery(dispatcher).resend(eventId);
    if (!outcome) throw resourceMissing("event", eventId);
    return ok({ event: eventId, status: outcome.status ?? null, error: outcome.error ?? null, duration_ms: outcome.durationMs });
  }
  if (path === "/_simulator/webhooks/chaos") {
    const delivery = requireDelivery(dispatcher);
    if (method === "POST") delivery.setChaos(parseParams(chaosSchema, await readParams(req)).enabled);
    if (method === "POST" || method === "GET") return ok({ enabled: delivery.chaos() });
  }
  return undefined;
}

// A form sends "true"/"false"; JSON sends booleans.
const chaosSchema = z.strictObject({ enabled: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]) });

function requireDelivery(dispatcher: Dispatcher | undefined): Dispatcher {
  if (!dispatcher) throw invalidRequest("Webhook delivery is off in this simulator (PROVIDER_WEBHOOKS=0).", undefined, "webhooks_disabled");
  return dispatcher;
}
