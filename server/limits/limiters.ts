import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import { statement, type Sql } from "../db/sql";

/** Where the counters live: one store for every instance, or this process alone (the embedded database). */
export type LimiterStore = "redis" | "postgres" | "memory";

export interface LimiterSpec {
  /** Names the limiter's keys; limiters of one store share it, so each needs its own. */
  keyPrefix: string;
  /** How many points a key may consume per window. */
  points: number;
  durationSeconds: number;
}

/**
 * Makes rate-limiter-flexible limiters on the best store the app has, so that a limit is counted
 * across all instances: Redis when configured, else PostgreSQL's `rate_limits` table (created by
 * the migrations, never at run time), else memory (the embedded database serves one process).
 *
 * A shared store that fails costs precision, never an answer: each store limiter is insured by a
 * memory limiter of the same limit (per instance, then), which answers while Redis is not ready or
 * a query fails, and a key that has used its window up is refused from memory without asking the
 * store again (`inMemoryBlockOnConsumed`), so a flood costs the store one statement per window.
 */
export interface LimiterFactory {
  readonly store: LimiterStore;
  make(spec: LimiterSpec): RateLimiterAbstract;
}

export interface LimiterStores {
  redis: Redis | null;
  /** The database, unless it is the embedded one (one process, one connection: memory is exact and free). */
  sql: Sql | null;
  /** Namespaces the keys by database, so one Redis can serve several databases (and test runs). */
  prefix: string;
}

/** The table RateLimiterPostgres writes to (prisma/migrations/20261206100000_limits). */
const TABLE = "rate_limits";

export function limiterFactory({ redis, sql, prefix }: LimiterStores): LimiterFactory {
  const memory = (spec: LimiterSpec) => new RateLimiterMemory({ keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.durationSeconds });
  const shared = (spec: LimiterSpec) => ({
    keyPrefix: `${prefix}${spec.keyPrefix}`,
    points: spec.points,
    duration: spec.durationSeconds,
    inMemoryBlockOnConsumed: spec.points,
    insuranceLimiter: memory(spec),
  });
  if (redis) {
    return {
      store: "redis",
      // No offline queue on the app's client (server/db/redis.ts): not ready means the insurance, at once.
      make: (spec) => new RateLimiterRedis({ ...shared(spec), storeClient: redis, rejectIfRedisNotReady: true }),
    };
  }
  if (sql) {
    const client = postgresClient(sql);
    return {
      store: "postgres",
      make: (spec) => new RateLimiterPostgres({ ...shared(spec), storeClient: client, storeType: "client", tableName: TABLE, tableCreated: true }),
    };
  }
  return { store: "memory", make: memory };
}

interface LimiterQuery {
  name?: string;
  text: string;
  values?: unknown[];
}

/**
 * How long a request waits for the limiter's statement before the insurance answers: as long as
 * it waits for Redis (server/db/redis.ts). A hung database must not cost a request its statement
 * timeout here and again for its own work: the contract answers an outage within 5 s.
 */
const POSTGRES_LIMITER_TIMEOUT_MS = 250;

/**
 * The `query` RateLimiterPostgres calls, on our pool through `sql`: the same connection bounds and
 * outage handling as every other statement, and no pool of its own.
 */
function postgresClient(sql: Sql) {
  const run = async (q: LimiterQuery): Promise<{ rows: unknown[]; rowCount: number }> => {
    const s = statement(`rl_${q.name ?? "query"}`, q.text);
    if (/^\s*DELETE/i.test(q.text)) return { rows: [], rowCount: await sql.count(s, q.values) };
    const rows = await sql.rows(s, q.values);
    return { rows, rowCount: rows.length };
  };
  return {
    query(q: LimiterQuery): Promise<{ rows: unknown[]; rowCount: number }> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`rate limiter: no answer within ${POSTGRES_LIMITER_TIMEOUT_MS} ms`)), POSTGRES_LIMITER_TIMEOUT_MS);
      });
      // The statement runs on regardless, bounded by the pool's own timeouts; its failure is handled by race().
      return Promise.race([run(q), late]).finally(() => clearTimeout(timer));
    },
  };
}
