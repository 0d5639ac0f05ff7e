import { LostOwnershipError } from "../errors.js";
import { RecordState, type Checkpoints, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "../record.js";
import type { Abandoned, ClaimRequest, Completion, IdempotencyStore, InsertResult } from "../store.js";

/** The transaction handle of the fake: writes are buffered here and committed with the outcome. */
export interface MemoryTx {
  readonly effects: unknown[];
}

interface Row extends Omit<IdempotencyRecord, "leaseExpired" | "expired" | "expiresInMs"> {
  /** Milliseconds on the fake clock. */
  lockedUntil: number | null;
  expiresAt: number;
  updatedAt: number;
  checkpoints: Checkpoints;
  input: unknown;
  awaited: boolean;
  createdAt: number;
}

/**
 * An in-memory IdempotencyStore with the semantics of PostgresStore: a unique (scope, operation,
 * key), a compare-and-swap takeover, owner-guarded completion and release, and leases and expiry
 * judged by the store's own clock (`now`, in ms), which tests advance by hand.
 */
export class MemoryStore implements IdempotencyStore<MemoryTx> {
  now = Date.UTC(2030, 0, 1);
  /** Effects of every committed transaction, in commit order. */
  readonly committed: unknown[] = [];
  private readonly rows = new Map<string, Row>();
  private nextId = 1;
  /** insertOrGet calls so far: what a request cost the store. */
  lookups = 0;
  /**
   * Where completions and releases of watched records are announced (PostgresStore's NOTIFY): tests
   * wire it to other engines' `wake`. Unset, the store offers no `watch`.
   */
  announce: ((recordId: string) => void) | null = null;

  get watch(): ((recordId: string) => Promise<boolean>) | undefined {
    if (!this.announce) return undefined;
    return (recordId) => {
      const row = this.byId(recordId);
      if (row?.state !== RecordState.InProgress) return Promise.resolve(false);
      row.awaited = true;
      return Promise.resolve(true);
    };
  }

  advance(seconds: number): void {
    this.now += seconds * 1000;
  }

  /** The record holding a key as the engine would see it, or undefined. */
  record(scope: string, operation: string, key: string): IdempotencyRecord | undefined {
    const row = this.rows.get(slot(scope, operation, key));
    return row && this.toRecord(row);
  }

  get size(): number {
    return this.rows.size;
  }

  insertOrGet(r: ClaimRequest): Promise<InsertResult> {
    this.lookups++;
    const existing = this.rows.get(slot(r.scope, r.operation, r.key));
    if (existing) return Promise.resolve({ owned: false, record: this.toRecord(existing) });
    if (this.atCapacity(r)) return Promise.resolve({ owned: false, record: null, refused: "at_capacity" });
    const row: Row = {
      id: `rec-${this.nextId++}`,
      scope: r.scope,
      operation: r.operation,
      key: r.key,
      fingerprint: r.fingerprint,
      state: RecordState.InProgress,
      ownerToken: r.ownerToken,
      executions: 1,
      response: null,
      resourceId: null,
      recoveryPoint: null,
      awaited: false,
      createdAt: this.now,
      lockedUntil: this.now + r.lockTimeoutSeconds * 1000,
      expiresAt: this.now + r.ttlSeconds * 1000,
      updatedAt: this.now,
      checkpoints: {},
      input: r.input,
    };
    this.rows.set(slot(r.scope, r.operation, r.key), row);
    return Promise.resolve({ owned: true, claim: toClaim(row, r.ownerToken) });
  }

  takeOver(seen: IdempotencyRecord, r: ClaimRequest): Promise<OwnedClaim | "at_capacity" | null> {
    const row = this.byId(seen.id);
    if (!row || row.state !== seen.state || row.executions !== seen.executions) return Promise.resolve(null);
    if (this.atCapacity(r)) return Promise.resolve("at_capacity");
    const leaseExpired = row.lockedUntil !== null && row.lockedUntil <= this.now;
    if (!(row.state === RecordState.Released || (row.state === RecordState.InProgress && leaseExpired))) return Promise.resolve(null);
    Object.assign(row, {
      state: RecordState.InProgress,
      ownerToken: r.ownerToken,
      fingerprint: r.fingerprint,
      lockedUntil: this.now + r.lockTimeoutSeconds * 1000,
      expiresAt: this.now + r.ttlSeconds * 1000,
      executions: row.executions + 1,
      response: null,
      resourceId: null,
      updatedAt: this.now,
      input: r.input ?? row.input,
    });
    return Promise.resolve(toClaim(row, r.ownerToken));
  }

  deleteIfExpired(seen: IdempotencyRecord): Promise<void> {
    const row = this.byId(seen.id);
    const abandoned = row?.state === RecordState.InProgress && row.lockedUntil !== null && row.lockedUntil <= this.now;
    // A record stopped past a recovery point is kept until it settles, however old (see `unsettled`).
    const unsettled = row?.state !== RecordState.Completed && row?.recoveryPoint !== null;
    if (row && !unsettled && (row.state !== RecordState.InProgress || abandoned) && row.expiresAt <= this.now) {
      this.rows.delete(slot(row.scope, row.operation, row.key));
    }
    return Promise.resolve();
  }

  async executeAndComplete(claim: OwnedClaim, ttlSeconds: number, execute: (tx: MemoryTx) => Promise<Completion>): Promise<StoredResponse> {
    const tx: MemoryTx = { effects: [] };
    const { response, resourceId, checkpoint } = await execute(tx); // a throw drops the buffered effects
    // As in PostgreSQL, the completion is the ownership check: a stale owner commits nothing.
    const row = this.owns(claim);
    if (!row) throw new LostOwnershipError(claim.key);
    this.committed.push(...tx.effects);
    Object.assign(row, {
      state: RecordState.Completed,
      ownerToken: null,
      lockedUntil: null,
      response: structuredClone(response),
      resourceId,
      expiresAt: this.now + ttlSeconds * 1000,
    });
    if (checkpoint) {
      const at = new Date(this.now + Object.keys(row.checkpoints).length).toISOString();
      row.checkpoints = { ...row.checkpoints, [checkpoint.point]: { at, value: structuredClone(checkpoint.value ?? null) } };
      row.recoveryPoint = checkpoint.point;
    }
    this.announced(row);
    return response;
  }

  async checkpoint<T>(claim: OwnedClaim, point: string, lockTimeoutSeconds: number, step: (tx: MemoryTx) => Promise<T>): Promise<T> {
    const tx: MemoryTx = { effects: [] };
    const value = await step(tx);
    const row = this.owns(claim);
    if (!row) throw new LostOwnershipError(claim.key);
    this.committed.push(...tx.effects);
    const at = new Date(this.now + Object.keys(row.checkpoints).length).toISOString(); // strictly increasing on the fake clock
    Object.assign(row, {
      checkpoints: { ...row.checkpoints, [point]: { at, value: structuredClone(value ?? null) } },
      recoveryPoint: point,
      lockedUntil: this.now + lockTimeoutSeconds * 1000,
      updatedAt: this.now,
    });
    return value;
  }

  abandoned(limit: number, graceSeconds: number, maxAgeSeconds?: number): Promise<Abandoned[]> {
    const found = [...this.rows.values()].filter(
      (row) =>
        row.recoveryPoint !== null &&
        (maxAgeSeconds === undefined || row.createdAt > this.now - maxAgeSeconds * 1000) &&
        row.input !== null &&
        ((row.state === RecordState.InProgress && row.lockedUntil !== null && row.lockedUntil <= this.now) ||
          (row.state === RecordState.Released && row.updatedAt <= this.now - graceSeconds * 1000)),
    );
    return Promise.resolve(
      found
        .slice(0, limit)
        .map((row) => ({ scope: row.scope, operation: row.operation, key: row.key, input: row.input, recoveryPoint: row.recoveryPoint ?? "" })),
    );
  }

  release(claim: OwnedClaim): Promise<boolean> {
    const row = this.owns(claim);
    if (row) Object.assign(row, { state: RecordState.Released, ownerToken: null, lockedUntil: null, updatedAt: this.now });
    if (row) this.announced(row);
    return Promise.resolve(row !== undefined);
  }

  /** The scope already has `maxInFlight` records in progress with a live lease (PostgresStore's cap). */
  private atCapacity(r: ClaimRequest): boolean {
    if (r.maxInFlight === undefined) return false;
    let live = 0;
    for (const row of this.rows.values()) {
      if (row.scope === r.scope && row.state === RecordState.InProgress && row.lockedUntil !== null && row.lockedUntil > this.now) live++;
    }
    return live >= r.maxInFlight;
  }

  /** As a NOTIFY is delivered after the commit: a moment later, never inside the caller's step. */
  private announced(row: Row): void {
    const announce = this.announce;
    if (row.awaited && announce) setImmediate(() => announce(row.id));
  }

  private owns(claim: OwnedClaim): Row | undefined {
    const row = this.byId(claim.recordId);
    return row && row.ownerToken === claim.ownerToken && row.state === RecordState.InProgress ? row : undefined;
  }

  private byId(id: string): Row | undefined {
    return [...this.rows.values()].find((row) => row.id === id);
  }

  private toRecord(row: Row): IdempotencyRecord {
    const { lockedUntil, expiresAt, updatedAt: _updatedAt, checkpoints: _checkpoints, input: _input, awaited: _awaited, createdAt: _createdAt, ...rest } = row;
    return {
      ...rest,
      response: row.response && structuredClone(row.response),
      expiresInMs: expiresAt - this.now,
      leaseExpired: lockedUntil !== null && lockedUntil <= this.now,
      expired: expiresAt <= this.now,
    };
  }
}

function slot(scope: string, operation: string, key: string): string {
  return JSON.stringify([scope, operation, key]);
}

function toClaim(row: Row, ownerToken: string): OwnedClaim {
  return {
    recordId: row.id,
    ownerToken,
    scope: row.scope,
    operation: row.operation,
    key: row.key,
    fingerprint: row.fingerprint,
    executions: row.executions,
    checkpoints: structuredClone(row.checkpoints),
  };
}
