import type { Redis } from "ioredis";

/** Deletes every key under `prefix`: a run leaves nothing in the shared Redis (its entries live 24 h). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  }
  return deleted;
}

/** Whether any key matches `pattern`, by a full SCAN: the Redis is shared, so a single call may miss it. */
export async function anyKeyMatching(redis: Redis, pattern: string): Promise<boolean> {
  const stream = redis.scanStream({ match: pattern, count: 500 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) {
      stream.destroy();
      return true;
    }
  }
  return false;
}
