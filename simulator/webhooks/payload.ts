import Stripe from "stripe";
import { toEvent, type EventRow } from "../events";

/**
 * The exact bytes every delivery of an event carries: built once per attempt from the outbox row,
 * so a retry or a duplicate is byte-identical apart from its signature's timestamp.
 * `pending_webhooks` counts endpoints still to succeed; there is only ever one here.
 */
export function eventBody(row: EventRow): string {
  const { id, object, api_version, created, data, livemode, request, type } = toEvent(row);
  return JSON.stringify({ id, object, api_version, created, data, livemode, pending_webhooks: 1, request, type });
}

/** `Stripe-Signature` as the SDK computes it, so `stripe.webhooks.constructEvent` verifies it by construction. */
export function signatureHeader(payload: string, secret: string, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: timestampSeconds });
}
