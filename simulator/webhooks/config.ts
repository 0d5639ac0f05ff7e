import { z } from "zod";

export interface WebhookConfig {
  url: string;
  secret: string;
  /** Attempts per event before it is given up (and marked failed). */
  maxAttempts: number;
  /** The first retry's delay; each later one doubles, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /** Deliveries in flight at once: more than one, so order is not promised even without chaos. */
  concurrency: number;
  pollMs: number;
  /** Chaos at start; switchable at run time. */
  chaos: boolean;
}

const flag = (fallback: "0" | "1") =>
  z
    .enum(["0", "1", "true", "false"])
    .default(fallback)
    .transform((v) => v === "1" || v === "true");

const envSchema = z.object({
  PROVIDER_WEBHOOKS: flag("1"),
  PROVIDER_WEBHOOK_URL: z.string().url().optional(),
  // The app's port: `npm run dev` starts the simulator beside `next dev`, and both read PORT.
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PROVIDER_WEBHOOK_SECRET: z.string().min(1).default("whsec_oncepay_dev"),
  PROVIDER_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  PROVIDER_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(500),
  PROVIDER_WEBHOOK_MAX_BACKOFF_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  PROVIDER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5_000),
  PROVIDER_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  PROVIDER_WEBHOOK_CHAOS: flag("0"),
});

/**
 * The delivery settings from the environment, or undefined when PROVIDER_WEBHOOKS=0 turns delivery off.
 * Unless PROVIDER_WEBHOOK_URL says otherwise, events go to the app's receiver on PORT (3000 when unset).
 */
export function webhookConfigFromEnv(env: Record<string, string | undefined>): WebhookConfig | undefined {
  const e = envSchema.parse(env);
  if (!e.PROVIDER_WEBHOOKS) return undefined;
  return {
    url: e.PROVIDER_WEBHOOK_URL ?? `http://127.0.0.1:${e.PORT}/api/v1/webhooks/provider`,
    secret: e.PROVIDER_WEBHOOK_SECRET,
    maxAttempts: e.PROVIDER_WEBHOOK_MAX_ATTEMPTS,
    backoffMs: e.PROVIDER_WEBHOOK_BACKOFF_MS,
    maxBackoffMs: e.PROVIDER_WEBHOOK_MAX_BACKOFF_MS,
    timeoutMs: e.PROVIDER_WEBHOOK_TIMEOUT_MS,
    concurrency: e.PROVIDER_WEBHOOK_CONCURRENCY,
    pollMs: 200,
    chaos: e.PROVIDER_WEBHOOK_CHAOS,
  };
}

/** The delay before attempt `attempt + 1`: exponential from `backoffMs`, capped. */
export function backoffAfter(attempt: number, config: Pick<WebhookConfig, "backoffMs" | "maxBackoffMs">): number {
  return Math.min(config.maxBackoffMs, config.backoffMs * 2 ** Math.max(0, attempt - 1));
}
