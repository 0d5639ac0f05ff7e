import Stripe from "stripe";
import { problemError } from "../problem";
import { eventObjectErrors, providerEventSchema, type ProviderEvent } from "./event";

/** Stripe's own default: a signature older than five minutes is a replay attack, not a late delivery. */
export const TOLERANCE_SECONDS = 300;

/**
 * Checks `Stripe-Signature` over the raw body with the SDK's `constructEvent`, against each secret in
 * turn: during a rotation the new and the previous secret are both valid. Any failure is a 400 and
 * nothing else happens.
 */
export function verifyEvent(rawBody: string, header: string | null, secrets: string[]): ProviderEvent {
  if (!header) throw problemError("invalid_signature", "The Stripe-Signature header is missing.");
  let parsed: unknown = undefined;
  let failure = "no secret is configured";
  for (const secret of secrets) {
    try {
      parsed = Stripe.webhooks.constructEvent(rawBody, header, secret, TOLERANCE_SECONDS);
      break;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
  }
  if (parsed === undefined) throw problemError("invalid_signature", `The signature does not verify: ${failure}`);
  // JSON can only carry NUL escaped; PostgreSQL stores it in neither text nor jsonb. (A literal
  // backslash before "u0000" is refused too: no event of a provider's holds one.)
  if (rawBody.includes("\\u0000")) throw problemError("validation_failed", "The event holds a NUL character (\\u0000), which cannot be stored.");
  const event = providerEventSchema.safeParse(parsed);
  if (!event.success) throw problemError("validation_failed", "The event is not a provider event.", { errors: event.error.issues.map((i) => i.message) });
  // Refused before anything is claimed, so a corrected event with the same id is still applied.
  const errors = eventObjectErrors(event.data);
  if (errors.length > 0) throw problemError("validation_failed", `The ${event.data.type} event cannot be applied.`, { errors });
  return event.data;
}
