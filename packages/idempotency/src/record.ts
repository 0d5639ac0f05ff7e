/** The life of one idempotency key within its scope and operation. */
export const RecordState = {
  /** Claimed; an executor holds the lease (`lockedUntil`). */
  InProgress: "in_progress",
  /** The outcome is stored and is replayed to every duplicate until `expiresAt`. */
  Completed: "completed",
  /** A transient failure gave the key back: nothing was saved, the next request executes afresh. */
  Released: "released",
} as const;

export type RecordState = (typeof RecordState)[keyof typeof RecordState];

/** What a duplicate gets back: enough to answer it byte for byte. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyRecord {
  id: string;
  scope: string;
  operation: string;
  key: string;
  fingerprint: string;
  state: RecordState;
  ownerToken: string | null;
  executions: number;
  response: StoredResponse | null;
  resourceId: string | null;
  /** The last recovery point an execution committed, or null: nothing of it survives. */
  recoveryPoint: string | null;
  /** Milliseconds of retention left, by the store's clock (negative once expired). */
  expiresInMs: number;
  /** Judged by the database's clock at read time, never by the app's. */
  leaseExpired: boolean;
  /** Judged by the database's clock at read time, never by the app's. */
  expired: boolean;
}

/** A claim this process owns: the only handle that can complete or release a record. */
export interface OwnedClaim {
  recordId: string;
  ownerToken: string;
  scope: string;
  operation: string;
  key: string;
  fingerprint: string;
  executions: number;
  /** What earlier executions of the key committed: a resumed execution starts from here. */
  checkpoints: Checkpoints;
}

/**
 * A recovery point: one step's result, committed on the record in its own short transaction, so
 * that whoever executes the key next (a retry, a takeover, the completer) skips the step.
 */
export interface Checkpoint {
  /** When it was committed, by the store's clock (ISO 8601). */
  at: string;
  value: unknown;
}

export type Checkpoints = Record<string, Checkpoint>;
