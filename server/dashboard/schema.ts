import { z } from "zod";
import { text } from "../text";

/** Dashboard windows: how far back, and the width of one chart bucket. */
export const WINDOWS = {
  "5m": { seconds: 300, bucketSeconds: 10 },
  "1h": { seconds: 3600, bucketSeconds: 60 },
  "24h": { seconds: 86_400, bucketSeconds: 900 },
} as const;

export const windowSchema = z.enum(["5m", "1h", "24h"]);
export type DashboardWindow = z.infer<typeof windowSchema>;

const merchant = text().min(1).max(64).optional();

export const summaryInput = z.object({ window: windowSchema.default("1h"), merchant });

/** A record's states as the dashboard shows them: the engine's three, plus completed-and-expired. */
export const RECORD_STATES = ["in_progress", "completed", "released", "expired"] as const;

export const recordsInput = z.object({
  merchant,
  state: z.enum(RECORD_STATES).optional(),
  search: text().max(255).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const keyTimelineInput = z.object({
  merchant: text().min(1).max(64),
  operation: text().min(1).max(100),
  key: text().min(1).max(255),
});

export const providerInput = z.object({ window: windowSchema.default("1h") });

/**
 * The provider's webhooks over a window: every request to the endpoint (request_log via "webhook"),
 * what the events did (webhook_events), and refunds that succeeded, by who started them.
 */
export const providerSummarySchema = z.object({
  /** Every webhook request: applied, replayed and rejected alike. */
  received: z.number().int(),
  /** Events whose effect changed something. */
  applied: z.number().int(),
  /** Duplicates dropped: a redelivered event id, answered as a replay. */
  replayed: z.number().int(),
  /** Signatures that did not verify: nothing stored. */
  rejected: z.number().int(),
  /** Events that changed nothing (out of order, already counted, ignored), by note. */
  notApplied: z.array(z.object({ note: z.string().nullable(), count: z.number().int() })),
  /** Of those, the ones refused by the checks against the payment (an amount, a currency, more than was paid). */
  refused: z.number().int(),
  /** Refunds and disputes received before their payment settled, still kept for it (whenever received). */
  awaiting: z.number().int(),
  /** Succeeded refunds by origin: api or provider. */
  refunds: z.array(z.object({ origin: z.string(), count: z.number().int() })),
});
export type ProviderSummary = z.infer<typeof providerSummarySchema>;
