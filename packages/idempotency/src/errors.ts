/** The root of every error the engine raises; adapters map each kind to their protocol. */
export abstract class IdempotencyError extends Error {
  abstract readonly kind: "conflict" | "mismatch" | "contention" | "lost_ownership" | "store" | "capacity";
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Another request with this key is still executing (HTTP 409). */
export class ConflictError extends IdempotencyError {
  readonly kind = "conflict";
  constructor(
    key: string,
    /** Seconds after which a retry is worth trying. */
    readonly retryAfterSeconds: number,
    /** The record in flight, for a duplicate that waits for it. */
    readonly inFlight?: { recordId: string },
  ) {
    super(`A request with idempotency key "${key}" is still being processed`, key);
  }
}

/** The key was used before with a different request body (HTTP 422). */
export class MismatchError extends IdempotencyError {
  readonly kind = "mismatch";
  constructor(key: string) {
    super(`Idempotency key "${key}" was already used with a different request body`, key);
  }
}

/** The claim kept changing under us (pathological churn); the request may be retried (HTTP 503). */
export class ContentionError extends IdempotencyError {
  readonly kind = "contention";
  constructor(key: string) {
    super(`Could not settle the claim on idempotency key "${key}"; retry the request`, key);
  }
}

/**
 * The lease ran out and another executor took the key over before this one completed; this
 * executor's effect was rolled back. Only seen by the engine, which then answers like a duplicate.
 */
export class LostOwnershipError extends IdempotencyError {
  readonly kind = "lost_ownership";
  constructor(key: string) {
    super(`The claim on idempotency key "${key}" was taken over by another executor`, key);
  }
}

/**
 * The store failed to answer (its database down, a connection lost mid-step): nothing was decided,
 * so the request may be retried with the same key (HTTP 503). Stores wrap every failure of their
 * own persistence in this one error, as Powertools' IdempotencyPersistenceLayerError does, so that
 * no caller has to recognise a driver's errors; the driver's error is the `cause`.
 */
export class StoreError extends IdempotencyError {
  readonly kind = "store";
  constructor(key: string, cause: unknown) {
    super(`The idempotency store failed while handling key "${key}"`, key);
    this.cause = cause;
  }
}

/**
 * A fresh claim would put more keys of its scope in flight than the run allowed (`maxInFlight`):
 * nothing was claimed or saved, so the same key may be retried later and executes normally (HTTP 429).
 */
export class CapacityError extends IdempotencyError {
  readonly kind = "capacity";
  constructor(
    key: string,
    readonly maxInFlight: number,
    /** Seconds after which a retry is worth trying: most executions end well within it. */
    readonly retryAfterSeconds: number = 1,
  ) {
    super(`Too many requests in flight (at most ${maxInFlight} at once); retry later with the same key "${key}"`, key);
  }
}
