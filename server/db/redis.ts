import { once } from "node:events";
import { Redis } from "ioredis";
import { logger } from "../observability/logger";

/**
 * A Redis connection that never makes a request wait for Redis: commands fail at once while
 * disconnected (no offline queue, no retries) and after 250 ms when Redis hangs, and callers fall
 * back to the database.
 */
export function connectRedis(url: string): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 2_000,
    // Keep trying to reconnect, at most every 2 s: Redis coming back restores the fast path.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  client.on("error", (error: Error) => {
    if (!down) logger.warn({ err: error }, "redis unavailable; replays fall back to the database");
    down = true;
  });
  client.on("ready", () => {
    if (down) logger.info("redis back");
    down = false;
  });
  return client;
}

/** Resolves once `client` is connected, or after `ms`, or at its first error: callers fall back without it. */
export async function whenReady(client: Redis, ms: number): Promise<void> {
  if (client.status === "ready") return;
  await once(client, "ready", { signal: AbortSignal.timeout(ms) }).catch(() => undefined);
}

/** Where the app keeps a database's entries in Redis: one namespace per database identity. */
export function fastPathPrefix(databaseIdentity: string): string {
  return `oncepay:${databaseIdentity}:`;
}
