import { randomUUID } from "node:crypto";
import { CapacityError, ConflictError, ContentionError, LostOwnershipError, MismatchError } from "./errors.js";
import { RecordState, type Checkpoint, type Checkpoints, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "./record.js";
import type { Abandoned, ClaimRequest, IdempotencyStore, InsertResult } from "./store.js";

export interface EngineOptions {
  ttlSeconds: number;
  lockTimeoutSeconds: number;
  /**
   * Whether other processes' completions reach `wake` (PostgreSQL LISTEN/NOTIFY, say). With it, a
   * duplicate waiting on a key another process executes asks the store to be told (`watch`); without
   * it, waits end at this process's own completions or at their deadline.
   */
  remoteWakeups?: boolean;
  /** Told when a step has run ("reached") and when its recovery point has committed (the tests' crash hook). */
  onRecoveryPoint?: (point: string, stage: "reached" | "committed", context: ExecutionContext) => void;
}

/** What an operation returns: its status, a JSON body, and optionally the resource it made. */
export interface OperationResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  resourceId?: string;
}

export interface ExecutionContext {
  recordId: string;
  key: string;
  /** 1 for the first execution of the key; more after takeovers or retries of released keys. */
  execution: number;
  /** The last recovery point an earlier execution committed, when this one resumes from it. */
  resumedFrom: string | null;
}

/**
 * Steps that run before the final commit, each checkpointed on the record as a recovery point in
 * its own short commit. A resumed execution gets a committed step's result back without running
 * it again; `parse` checks that saved result (it was JSON in the store) on the way back in.
 */
export interface Steps<Tx> {
  /** Writes through `tx`, committed together with the recovery point. */
  atomic<T>(point: string, run: (tx: Tx) => Promise<T>, parse: (saved: unknown) => T): Promise<T>;
  /** Leaves the database (a network call): runs holding no transaction or connection, then commits its result. */
  external<T>(point: string, run: () => Promise<T>, parse: (saved: unknown) => T, options?: ExternalOptions): Promise<T>;
}

export interface ExternalOptions {
  /**
   * Running it again gives the same answer and does nothing twice (a call made with a key derived
   * from the record, say). Then its recovery point need not be a commit of its own: it is kept
   * with the next commit (the final one, or the next step's), and an execution that stops before
   * that commit runs it again.
   */
  repeatable?: boolean;
}

export interface RunRequest<Tx, S = void> {
  scope: string;
  operation: string;
  key: string;
  fingerprint: string;
  /** The request as JSON, kept for a resumer with no client (the completer); only needed with `steps`. */
  input?: unknown;
  /**
   * How long a duplicate of a key in flight waits for the original's outcome before a ConflictError;
   * 0 by default. It is woken by the original's completion or release, never by polling.
   */
  waitMs?: number;
  /**
   * At most this many keys of `scope` in flight at once (claimed, lease alive): a fresh claim beyond
   * it throws CapacityError and leaves nothing behind. Replays, duplicates and mismatches of keys
   * that have a record are answered as usual. Judged by the store inside the claim itself.
   */
  maxInFlight?: number;
  /** Runs after the claim and before the transaction opens, holding no connection (fault delays). */
  beforeExecute?: () => Promise<void>;
  /** Steps with recovery points, run before the final commit; what they return reaches `execute`. */
  steps?: (steps: Steps<Tx>, context: ExecutionContext) => Promise<S>;
  /** The final commit. It must do all its writes through `tx`, which commits with the stored outcome. */
  execute: (tx: Tx, context: ExecutionContext, prepared: S) => Promise<OperationResult>;
}

export type RunOutcome = "executed" | "replayed";

export interface RunResult {
  outcome: RunOutcome;
  response: StoredResponse;
  recordId: string;
  /** For an execution that resumed an earlier one: the recovery point it started from. */
  resumedFrom: string | null;
  /** It found the key in flight and waited for the original (`waitMs`). */
  waited: boolean;
}

/** What to do with a record that already holds the key. */
export type Decision = "replay" | "mismatch" | "conflict" | "take_over" | "expired";

/** The heart of the engine, a pure function of the record and the new request's fingerprint. */
export function decide(record: IdempotencyRecord, fingerprint: string): Decision {
  // Past retention the key is free, unless an executor still holds a live lease on it, or an
  // execution stopped past a recovery point: its effect is unsettled (a charge may have been made
  // under a key derived from this record), so only this record may finish it, whatever its age.
  if (record.expired && !unsettled(record) && (record.state !== RecordState.InProgress || record.leaseExpired)) return "expired";
  switch (record.state) {
    case RecordState.Completed:
      return record.fingerprint === fingerprint ? "replay" : "mismatch";
    case RecordState.Released:
      // No outcome was saved under the key. Without a recovery point nothing of it survives, so it
      // is free for any body; with one, only the same request may finish what was started.
      if (record.recoveryPoint !== null && record.fingerprint !== fingerprint) return "mismatch";
      return "take_over";
    case RecordState.InProgress:
      if (record.fingerprint !== fingerprint) return "mismatch";
      return record.leaseExpired ? "take_over" : "conflict";
  }
}

/** Stopped past a recovery point without an outcome: never deleted, never given to another request. */
export function unsettled(record: Pick<IdempotencyRecord, "state" | "recoveryPoint">): boolean {
  return record.state !== RecordState.Completed && record.recoveryPoint !== null;
}

/** Header names in one spelling, whichever the operation used: what every retry is answered with. */
function lowercased(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** A claim just won in this process, as any other request would find it in the store. */
function inProgress(claim: OwnedClaim, ttlSeconds: number): IdempotencyRecord {
  return {
    id: claim.recordId,
    scope: claim.scope,
    operation: claim.operation,
    key: claim.key,
    fingerprint: claim.fingerprint,
    state: RecordState.InProgress,
    ownerToken: null, // the owner's secret stays with the owner
    executions: claim.executions,
    response: null,
    resourceId: null,
    recoveryPoint: null,
    expiresInMs: ttlSeconds * 1000,
    leaseExpired: false,
    expired: false,
  };
}

function slot(request: Pick<RunRequest<unknown, unknown>, "scope" | "operation" | "key">): string {
  return JSON.stringify([request.scope, request.operation, request.key]);
}

/** Rounds of claim/decide before giving up with ContentionError; each lost round means progress elsewhere. */
const MAX_ROUNDS = 8;

/** How long a failed execution waits for its release before answering anyway. */
const RELEASE_WITHIN_MS = 1_000;

export class IdempotencyEngine<Tx> {
  /**
   * The keys this process is executing right now, with their fingerprints. A duplicate of one of
   * them is answered (409, or 422 for another body) without a round trip: the store could only say
   * the same, since this process holds the claim. Under a storm that is most of the requests.
   */
  private readonly executing = new Map<string, { fingerprint: string; recordId: string }>();
  /**
   * Claims on their way to the store. Requests for the same key that arrive together in this
   * process share the first one's trip and judge its answer for themselves (a replay for each, or
   * a 409 when the first won the claim), so a burst costs the store one statement, not one each.
   */
  private readonly claiming = new Map<string, Promise<InsertResult>>();
  /** Duplicates waiting for a record's outcome, by record id: woken by `wake`. */
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly store: IdempotencyStore<Tx>,
    private readonly options: EngineOptions,
  ) {}

  /**
   * Execute `request` at most once per (scope, operation, key), or answer as a duplicate. With
   * `waitMs`, a duplicate of a key in flight waits up to that long for the original's outcome and
   * is answered as its replay, instead of a ConflictError at once.
   */
  async run<S>(request: RunRequest<Tx, S>): Promise<RunResult> {
    const deadline = Date.now() + (request.waitMs ?? 0);
    for (let waited = false; ; waited = true) {
      let conflict: ConflictError;
      try {
        return { ...(await this.runOnce(request, waited)), waited };
      } catch (error) {
        if (!(error instanceof ConflictError) || !error.inFlight || Date.now() >= deadline) throw error;
        conflict = error;
      }
      await this.waitFor(conflict.inFlight!.recordId, slot(request), deadline - Date.now());
    }
  }

  /**
   * Tells the duplicates waiting on `recordId` that it has an outcome (or was given back): they look
   * again. Called for this process's own executions, and by whatever carries other processes' news.
   */
  wake(recordId: string): void {
    const waiting = this.waiters.get(recordId);
    if (!waiting) return;
    this.waiters.delete(recordId);
    for (const resume of waiting) resume();
  }

  /** Every waiter looks again: after a gap in the news from other processes (a reconnect), some may be missed. */
  wakeAll(): void {
    for (const recordId of [...this.waiters.keys()]) this.wake(recordId);
  }

  /**
   * Until the record is woken or `ms` pass. Registered before asking the store to `watch` the record,
   * so that a completion between the two is not missed; `watch` answers false when the record has
   * already moved on, and the caller looks again at once.
   */
  private async waitFor(recordId: string, key: string, ms: number): Promise<void> {
    let resume!: () => void;
    const woken = new Promise<void>((resolve) => (resume = resolve));
    const waiting = this.waiters.get(recordId) ?? new Set();
    this.waiters.set(recordId, waiting.add(resume));
    const timer = setTimeout(resume, ms);
    try {
      // Executed here, it ends with our own `wake`; elsewhere, the store must tell us.
      if (this.options.remoteWakeups && this.store.watch && !this.executing.has(key)) {
        // The store unreachable: nothing to be told, the deadline decides.
        const inFlight = await this.store.watch(recordId).catch(() => true);
        if (!inFlight) return;
      }
      await woken;
    } finally {
      clearTimeout(timer);
      waiting.delete(resume);
      if (waiting.size === 0 && this.waiters.get(recordId) === waiting) this.waiters.delete(recordId);
    }
  }

  /** One claim-and-decide; `waited`: after waiting for an original, whose giving up is answered, not taken over. */
  private async runOnce<S>(request: RunRequest<Tx, S>, waited: boolean): Promise<Omit<RunResult, "waited">> {
    const key = slot(request);
    const local = this.executing.get(key);
    if (local !== undefined) {
      if (local.fingerprint !== request.fingerprint) throw new MismatchError(request.key);
      throw new ConflictError(request.key, 1, local);
    }
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const claimRequest = this.claimRequest(request);
      // Only the first round joins others: after a lost race, each looks again for itself.
      const inserted = round === 0 ? await this.claimOrJoin(key, claimRequest) : await this.store.insertOrGet(claimRequest);
      if (inserted === null) continue;
      if (inserted.owned) {
        const result = await this.execute(inserted.claim, request);
        if (result) return result;
        continue;
      }
      if (inserted.record === null) throw new CapacityError(request.key, request.maxInFlight ?? 0);
      const record = inserted.record;
      switch (decide(record, request.fingerprint)) {
        case "replay":
          if (!record.response) throw new Error(`completed idempotency record ${record.id} has no response`);
          return { outcome: "replayed", response: record.response, recordId: record.id, resumedFrom: null };
        case "mismatch":
          throw new MismatchError(request.key);
        case "conflict":
          throw new ConflictError(request.key, 1, { recordId: record.id });
        case "expired":
          await this.store.deleteIfExpired(record);
          continue;
        case "take_over": {
          // The original gave the key back (a transient failure) while this duplicate waited: it
          // is told so (409), as it would have been without waiting, rather than run in its place.
          if (waited && record.state === RecordState.Released) throw new ConflictError(request.key, 1);
          const claim = await this.store.takeOver(record, claimRequest);
          if (claim === "at_capacity") throw new CapacityError(request.key, request.maxInFlight ?? 0);
          if (!claim) continue;
          const result = await this.execute(claim, request);
          if (result) return result;
          continue;
        }
      }
    }
    throw new ContentionError(request.key);
  }

  private async claimOrJoin(key: string, request: ClaimRequest): Promise<InsertResult> {
    const pending = this.claiming.get(key);
    if (pending) {
      const answer = await pending;
      // The first one owns the claim now: to everyone else, the key is in progress under its body.
      return answer?.owned ? { owned: false, record: inProgress(answer.claim, request.ttlSeconds) } : answer;
    }
    const asking = this.store.insertOrGet(request);
    this.claiming.set(key, asking);
    try {
      return await asking;
    } finally {
      this.claiming.delete(key);
    }
  }

  /** Resumable records nobody is finishing, first claimed less than `maxAgeSeconds` ago, for a completer to run again with their stored input. */
  abandoned(limit: number, maxAgeSeconds?: number): Promise<Abandoned[]> {
    return this.store.abandoned(limit, this.options.lockTimeoutSeconds, maxAgeSeconds);
  }

  /** Returns null when the claim was lost to a takeover: the caller looks again and answers as a duplicate. */
  private async execute<S>(claim: OwnedClaim, request: RunRequest<Tx, S>): Promise<Omit<RunResult, "waited"> | null> {
    const context: ExecutionContext = {
      recordId: claim.recordId,
      key: claim.key,
      execution: claim.executions,
      resumedFrom: lastPoint(claim.checkpoints),
    };
    const executing = slot(request);
    this.executing.set(executing, { fingerprint: claim.fingerprint, recordId: claim.recordId });
    try {
      await request.beforeExecute?.();
      const steps = request.steps ? this.steps(claim, context) : null;
      const prepared = steps ? await request.steps!(steps.steps, context) : (undefined as S);
      const carried = steps?.carried() ?? null;
      const response = await this.store.executeAndComplete(claim, this.options.ttlSeconds, async (tx) => {
        const result = await request.execute(tx, context, prepared);
        return {
          response: { status: result.status, headers: lowercased(result.headers), body: JSON.stringify(result.body) },
          resourceId: result.resourceId ?? null,
          ...(carried ? { checkpoint: carried } : {}),
        };
      });
      if (carried) this.options.onRecoveryPoint?.(carried.point, "committed", context);
      return { outcome: "executed", response, recordId: claim.recordId, resumedFrom: context.resumedFrom };
    } catch (error) {
      if (error instanceof LostOwnershipError) return null;
      // Best effort: if the database is gone too, the lease runs out and a retry takes over. Bounded
      // apart, so that a hung database costs a request one timeout and not two.
      const stillOurs = await within(this.store.release(claim), RELEASE_WITHIN_MS).catch(() => true);
      // Not ours any more: the failure was a symptom of a takeover (the new owner's effect won a
      // unique constraint), or a commit whose answer was lost. Look again and answer as a duplicate.
      if (!stillOurs) return null;
      throw error;
    } finally {
      this.executing.delete(executing);
      this.wake(claim.recordId);
    }
  }

  /**
   * The steps of one execution, and the recovery point of a repeatable step still waiting for a
   * commit to ride in (`carried`): the final commit takes it, or the next step's commits it first.
   */
  private steps(claim: OwnedClaim, context: ExecutionContext): { steps: Steps<Tx>; carried: () => { point: string; value: unknown } | null } {
    const notify = this.options.onRecoveryPoint;
    let carried: { point: string; value: unknown } | null = null;
    const checkpoint = async <T>(point: string, step: (tx: Tx) => Promise<T>, reached: boolean): Promise<T> => {
      const value = await this.store.checkpoint(claim, point, this.options.lockTimeoutSeconds, async (tx) => {
        const result = await step(tx);
        if (reached) notify?.(point, "reached", context);
        return result;
      });
      notify?.(point, "committed", context);
      return value;
    };
    // A carried point goes first, in a commit of its own: recovery points commit in their order.
    const flush = async (): Promise<void> => {
      if (!carried) return;
      const { point, value } = carried;
      carried = null;
      await checkpoint(point, () => Promise.resolve(value), false);
    };
    const saved = claim.checkpoints;
    const steps: Steps<Tx> = {
      atomic: async (point, run, parse) => {
        if (saved[point]) return parse(saved[point].value);
        await flush();
        return checkpoint(point, run, true);
      },
      external: async (point, run, parse, options) => {
        if (saved[point]) return parse(saved[point].value);
        await flush();
        const value = await run();
        if (!options?.repeatable) return checkpoint(point, () => Promise.resolve(value), true);
        notify?.(point, "reached", context);
        carried = { point, value };
        return value;
      },
    };
    return { steps, carried: () => carried };
  }

  private claimRequest<S>(request: RunRequest<Tx, S>): ClaimRequest {
    return {
      scope: request.scope,
      operation: request.operation,
      key: request.key,
      fingerprint: request.fingerprint,
      ownerToken: randomUUID(),
      lockTimeoutSeconds: this.options.lockTimeoutSeconds,
      ttlSeconds: this.options.ttlSeconds,
      input: request.steps ? (request.input ?? null) : null,
      maxInFlight: request.maxInFlight,
    };
  }
}

/** The latest of the recovery points, by commit time. */
function lastPoint(checkpoints: Checkpoints): string | null {
  let last: [string, Checkpoint] | null = null;
  for (const entry of Object.entries(checkpoints)) if (!last || entry[1].at >= last[1].at) last = entry;
  return last?.[0] ?? null;
}

/** `promise`, or a rejection once `ms` have passed; it runs on regardless, its failure handled. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
