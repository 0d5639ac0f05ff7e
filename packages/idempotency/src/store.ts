import type { IdempotencyRecord, OwnedClaim, StoredResponse } from "./record.js";

export interface ClaimRequest {
  scope: string;
  operation: string;
  key: string;
  fingerprint: string;
  /** A fresh token; it becomes the claim's owner token if this request wins. */
  ownerToken: string;
  lockTimeoutSeconds: number;
  ttlSeconds: number;
  /** The request as JSON, kept so that a resumer with no client (the completer) can finish it; null if not resumable. */
  input?: unknown;
  /**
   * At most this many records of `scope` in flight (in progress, lease alive) at once: a fresh claim
   * (an insert or a takeover) beyond it is refused and leaves nothing behind. A key that already
   * has a record is answered as usual (a replay never counts). Judged in the claim's own statement;
   * concurrent claims may overshoot by their number. Unset: no cap.
   */
  maxInFlight?: number;
}

/** A record whose execution stopped after a recovery point and that nobody is finishing. */
export interface Abandoned {
  scope: string;
  operation: string;
  key: string;
  input?: unknown;
  recoveryPoint: string;
}

export type InsertResult =
  | { owned: true; claim: OwnedClaim }
  | { owned: false; record: IdempotencyRecord; refused?: undefined }
  /** No record holds the key, and the scope is at its `maxInFlight`: nothing was written. */
  | { owned: false; record: null; refused: "at_capacity" }
  /** The record vanished between the insert and the read (expired and deleted): try again. */
  | null;

/** What an execution produced, ready to be committed with the effect. */
export interface Completion {
  response: StoredResponse;
  resourceId: string | null;
  /** A recovery point that was never committed on its own (a repeatable step's): recorded with the outcome. */
  checkpoint?: { point: string; value: unknown };
}

/**
 * Persistence for the engine. Each method is one atomic step; the decisions between the steps
 * belong to the engine, so every store behaves alike (the Powertools BasePersistenceLayer shape).
 * `Tx` is the store's transaction handle, handed through to operations and opaque to the engine.
 */
export interface IdempotencyStore<Tx> {
  /** Insert an in-progress record against the unique (scope, operation, key), or return the holder. */
  insertOrGet(request: ClaimRequest): Promise<InsertResult>;
  /**
   * Compare-and-swap: take a released record, or one whose lease ran out, for a new owner. Returns
   * null when the record is no longer as `seen` (someone else moved first), "at_capacity" when the
   * scope is at the request's `maxInFlight` (the record is left as it was).
   */
  takeOver(seen: IdempotencyRecord, request: ClaimRequest): Promise<OwnedClaim | "at_capacity" | null>;
  /** Delete the record if it is still expired; a no-op when someone else already did. */
  deleteIfExpired(seen: IdempotencyRecord): Promise<void>;
  /**
   * In one transaction: run `execute`, then store its completion (and its `checkpoint`, if any), but
   * only while `claim` still owns the record; otherwise roll everything back and throw LostOwnershipError.
   */
  executeAndComplete(claim: OwnedClaim, ttlSeconds: number, execute: (tx: Tx) => Promise<Completion>): Promise<StoredResponse>;
  /**
   * In one transaction: run `step`, then commit its result as the recovery point `point` and renew
   * the lease, only while `claim` still owns the record; otherwise roll back and throw LostOwnershipError.
   */
  checkpoint<T>(claim: OwnedClaim, point: string, lockTimeoutSeconds: number, step: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Resumable records nobody is finishing: past a recovery point, with their lease run out, or
   * released at least `graceSeconds` ago (time for the client's own retry to come first); only
   * those first claimed less than `maxAgeSeconds` ago, when given.
   */
  abandoned(limit: number, graceSeconds: number, maxAgeSeconds?: number): Promise<Abandoned[]>;
  /**
   * Give the key back after a failure (owner only); no outcome is saved, recovery points are kept. False when the claim was no
   * longer this owner's (taken over, or completed by a commit whose answer was lost).
   */
  release(claim: OwnedClaim): Promise<boolean>;
  /**
   * A duplicate in another process waits for this record: its completion or release must tell
   * (how is the store's: a NOTIFY, say). False when the record is no longer in progress, so there
   * is nothing to wait for. Optional: without it, waits end at their deadline.
   */
  watch?(recordId: string): Promise<boolean>;
}
