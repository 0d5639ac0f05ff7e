import { z } from "zod";

/** Dashboard windows: how far back, and the width of one chart bucket. */
export const WINDOWS = {
  "5m": { seconds: 300, bucketSeconds: 10 },
  "1h": { seconds: 3600, bucketSeconds: 60 },
  "24h": { seconds: 86_400, bucketSeconds: 900 },
} as const;

export const windowSchema = z.enum(["5m", "1h", "24h"]);
export type DashboardWindow = z.infer<typeof windowSchema>;

const merchant = z.string().min(1).max(64).optional();

export const summaryInput = z.object({ window: windowSchema.default("1h"), merchant });

/** A record's states as the dashboard shows them: the engine's three, plus completed-and-expired. */
export const RECORD_STATES = ["in_progress", "completed", "released", "expired"] as const;

export const recordsInput = z.object({
  merchant,
  state: z.enum(RECORD_STATES).optional(),
  search: z.string().max(255).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const keyTimelineInput = z.object({
  merchant: z.string().min(1).max(64),
  operation: z.string().min(1).max(100),
  key: z.string().min(1).max(255),
});
