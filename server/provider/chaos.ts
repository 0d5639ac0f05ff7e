import { z } from "zod";

/** How long the dashboard waits for the simulator before calling the toggle unavailable. */
const TIMEOUT_MS = 2000;

/** The simulator's answer to `GET|POST /_simulator/webhooks/chaos`. */
const chaosAnswerSchema = z.object({ enabled: z.boolean() });
/** Its refusal when it delivers no webhooks (`PROVIDER_WEBHOOKS=0`). */
const disabledAnswerSchema = z.object({ error: z.object({ code: z.literal("webhooks_disabled") }) });

export const chaosUnavailableReasons = ["no_provider", "webhooks_disabled", "unreachable"] as const;

export const webhookChaosSchema = z.discriminatedUnion("available", [
  z.object({ available: z.literal(true), enabled: z.boolean() }),
  z.object({ available: z.literal(false), reason: z.enum(chaosUnavailableReasons) }),
]);
export type WebhookChaos = z.infer<typeof webhookChaosSchema>;

/**
 * Reads (or, given `enabled`, switches) the provider simulator's webhook chaos mode: duplicate,
 * concurrent and shuffled deliveries. Never throws: no simulator, one that delivers no webhooks, or
 * one that does not answer as expected is `available: false`.
 */
export async function webhookChaos(providerUrl: string | undefined, enabled?: boolean): Promise<WebhookChaos> {
  if (!providerUrl) return { available: false, reason: "no_provider" };
  try {
    const res = await fetch(new URL("/_simulator/webhooks/chaos", providerUrl), {
      method: enabled === undefined ? "GET" : "POST",
      ...(enabled !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify({ enabled }) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      cache: "no-store",
    });
    const body: unknown = await res.json().catch(() => undefined);
    if (res.ok) {
      const parsed = chaosAnswerSchema.safeParse(body);
      if (parsed.success) return { available: true, enabled: parsed.data.enabled };
    } else if (res.status === 400 && disabledAnswerSchema.safeParse(body).success) {
      return { available: false, reason: "webhooks_disabled" };
    }
    return { available: false, reason: "unreachable" };
  } catch {
    return { available: false, reason: "unreachable" };
  }
}
