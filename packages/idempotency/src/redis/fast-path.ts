import { RecordState, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "../record.js";
import type { Abandoned, ClaimRequest, Completion, IdempotencyStore, InsertResult } from "../store.js";

/** What the fast path remembers of a completed record: enough to replay it or refuse a new body. */
interface CachedOutcome {
  id: string;
  fingerprint: string;
  executions: number;
  response: StoredResponse;
  resourceId: string | null;
  /** Epoch ms at which the entry stops being valid (Redis drops it then too). */
  until: number;
}

/** The three Redis commands the fast path uses (ioredis's client fits): no driver in the engine. */
export interface FastPathRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "PX", milliseconds: number): Promise<unknown>;
  del(key: string): Promise<number>;
}

export type FastPathEvent = "hit" | "miss" | "error";

export interface RedisFastPathOptions {
  /** Namespaces the keys by database, so one Redis can serve several databases (and test runs). */
  prefix: string;
  /** Every lookup's result, and every Redis failure (which never fails the request). */
  onEvent?: (event: FastPathEvent, error?: unknown) => void;
}

/**
 * Redis in front of another store, for completed records only: a replay (or a 422 for a new body)
 * is answered from one GET, without the database. The database stays the only judge of claims;
 * Redis holds nothing that is not already committed there and forgets it no later than the
 * database does, so a lost, flushed or unreachable Redis costs speed, never correctness.
 */
export class RedisFastPath<Tx> implements IdempotencyStore<Tx> {
  constructor(
    private readonly inner: IdempotencyStore<Tx>,
    private readonly redis: FastPathRedis,
    private readonly options: RedisFastPathOptions,
  ) {}

  /** A cached outcome is answered before any cap: a replay never counts toward `maxInFlight`, which the inner store judges. */
  async insertOrGet(request: ClaimRequest): Promise<InsertResult> {
    const cached = await this.lookup(request.scope, request.operation, request.key);
    if (cached) return { owned: false, record: cached };
    const asked = Date.now();
    const result = await this.inner.insertOrGet(request);
    if (result && !result.owned && result.record) {
      const { record } = result;
      if (record.state === RecordState.Completed && record.response && !record.expired) {
        this.remember(record, record.response, record.expiresInMs - (Date.now() - asked));
      }
    }
    return result;
  }

  takeOver(seen: IdempotencyRecord, request: ClaimRequest): Promise<OwnedClaim | "at_capacity" | null> {
    // Only released or abandoned records are taken over, and those are never cached.
    return this.inner.takeOver(seen, request);
  }

  async deleteIfExpired(seen: IdempotencyRecord): Promise<void> {
    await this.inner.deleteIfExpired(seen);
    await this.redis.del(this.slot(seen.scope, seen.operation, seen.key)).catch((error: unknown) => this.options.onEvent?.("error", error));
  }

  async executeAndComplete(claim: OwnedClaim, ttlSeconds: number, execute: (tx: Tx) => Promise<Completion>): Promise<StoredResponse> {
    // Measured from before the transaction, whose now() sets the database's expiry: the cached
    // entry therefore always lapses a little before the record does.
    const started = Date.now();
    let resourceId: string | null = null;
    const response = await this.inner.executeAndComplete(claim, ttlSeconds, async (tx) => {
      const completion = await execute(tx);
      resourceId = completion.resourceId;
      return completion;
    });
    const record = {
      id: claim.recordId,
      scope: claim.scope,
      operation: claim.operation,
      key: claim.key,
      fingerprint: claim.fingerprint,
      executions: claim.executions,
      resourceId,
    };
    this.remember(record, response, started + ttlSeconds * 1000 - Date.now());
    return response;
  }

  checkpoint<T>(claim: OwnedClaim, point: string, lockTimeoutSeconds: number, step: (tx: Tx) => Promise<T>): Promise<T> {
    return this.inner.checkpoint(claim, point, lockTimeoutSeconds, step);
  }

  abandoned(limit: number, graceSeconds: number, maxAgeSeconds?: number): Promise<Abandoned[]> {
    return this.inner.abandoned(limit, graceSeconds, maxAgeSeconds);
  }

  release(claim: OwnedClaim): Promise<boolean> {
    return this.inner.release(claim);
  }

  get watch(): ((recordId: string) => Promise<boolean>) | undefined {
    return this.inner.watch?.bind(this.inner);
  }

  private async lookup(scope: string, operation: string, key: string): Promise<IdempotencyRecord | null> {
    let cached: CachedOutcome | null;
    try {
      const raw = await this.redis.get(this.slot(scope, operation, key));
      cached = raw === null ? null : (JSON.parse(raw) as CachedOutcome);
    } catch (error) {
      this.options.onEvent?.("error", error);
      return null;
    }
    if (!cached || cached.until <= Date.now()) {
      this.options.onEvent?.("miss");
      return null;
    }
    this.options.onEvent?.("hit");
    return {
      id: cached.id,
      scope,
      operation,
      key,
      fingerprint: cached.fingerprint,
      state: RecordState.Completed,
      ownerToken: null,
      executions: cached.executions,
      response: cached.response,
      resourceId: cached.resourceId,
      recoveryPoint: null,
      expiresInMs: cached.until - Date.now(),
      leaseExpired: false,
      expired: false,
    };
  }

  /**
   * Write-behind, after the answer: the entry is built and sent once the caller has had its response
   * (setImmediate), so a fresh request pays neither for Redis nor for the serialization. A failed
   * write only costs a later miss.
   */
  private remember(
    record: Pick<IdempotencyRecord, "id" | "scope" | "operation" | "key" | "fingerprint" | "executions" | "resourceId">,
    response: StoredResponse,
    ttlMs: number,
  ): void {
    const until = Date.now() + Math.floor(ttlMs);
    setImmediate(() => {
      const ms = until - Date.now();
      if (ms <= 0) return;
      const value: CachedOutcome = {
        id: record.id,
        fingerprint: record.fingerprint,
        executions: record.executions,
        response,
        resourceId: record.resourceId,
        until,
      };
      this.redis
        .set(this.slot(record.scope, record.operation, record.key), JSON.stringify(value), "PX", ms)
        .catch((error: unknown) => this.options.onEvent?.("error", error));
    });
  }

  private slot(scope: string, operation: string, key: string): string {
    return `${this.options.prefix}idem:${JSON.stringify([scope, operation, key])}`;
  }
}
