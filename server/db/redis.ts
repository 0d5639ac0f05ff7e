import { Redis } from "ioredis";
import { env } from "../env";
import { logger } from "../observability/logger";

// On globalThis so that dev-mode module reloads share one connection.
const holder = globalThis as typeof globalThis & { __oncepayRedis?: Redis | null };

/**
 * The process's Redis connection when `REDIS_URL` is set, else null. It never makes a request wait
 * for Redis: commands fail at once while disconnected (no offline queue, no retries) and after
 * 250 ms when Redis hangs, and callers fall back to the database.
 */
export function redis(): Redis | null {
  if (holder.__oncepayRedis === undefined) {
    holder.__oncepayRedis = env.REDIS_URL ? connectRedis(env.REDIS_URL) : null;
  }
  return holder.__oncepayRedis;
}

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

/** Resolves once `client` is connected, or after `ms` regardless (callers fall back without it). */
export function whenReady(client: Redis, ms: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once("ready", done);
  });
}
