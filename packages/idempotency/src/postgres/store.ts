import { LostOwnershipError, StoreError } from "../errors.js";
import { RecordState, type Checkpoints, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "../record.js";
import { statement, type SqlRunner, type SqlTransactor } from "./sql.js";
import type { Abandoned, ClaimRequest, Completion, IdempotencyStore, InsertResult } from "../store.js";

interface RecordRow {
  claimed: boolean;
  /** The scope was at its cap and no record holds the key (then every record column is null). */
  refused: boolean;
  id: string | null;
  scope: string;
  operation: string;
  key: string;
  fingerprint: string;
  state: RecordState;
  owner_token: string | null;
  executions: number;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  resource_id: string | null;
  recovery_point: string | null;
  expires_in_ms: number;
  lease_expired: boolean;
  expired: boolean;
}

/** Retention left in ms, by the database's clock. */
const EXPIRES_IN_MS = `extract(epoch FROM expires_at - now())::float8 * 1000`;

const COLUMN_NAMES = [
  "id",
  "scope",
  "operation",
  "key",
  "fingerprint",
  "state",
  "owner_token",
  "executions",
  "response_status",
  "response_headers",
  "response_body",
  "resource_id",
  "recovery_point",
];
const RECORD_COLUMNS = COLUMN_NAMES.join(", ");
const prefixed = (table: string) => COLUMN_NAMES.map((name) => `${table}.${name}`).join(", ");

/**
 * Whether the scope `$scope` already has `$cap` records in flight (in progress, lease alive), counting
 * no further than the cap on the partial index of in-progress records; false without a cap (null).
 */
const atCapacity = (scope: string, cap: string) =>
  `(${cap}::int IS NOT NULL AND (SELECT count(*) FROM (
      SELECT 1 FROM idempotency_records
       WHERE scope = ${scope} AND state = 'in_progress' AND locked_until > now()
       LIMIT ${cap}::int) live) >= ${cap}::int)`;

// A record's id: the clock's milliseconds in the first 48 bits (as UUIDv7 lays them out), the rest
// from gen_random_uuid(). Time first so that a new record lands at the right edge of the primary key
// (and of the payments' index on it): with random ids, at a million records each claim read a cold
// leaf page (bench/README.md, "At scale").
const TIME_ORDERED_UUID = `(SELECT (substr(t, 1, 8) || '-' || substr(t, 9, 4) || substr(g, 14))::uuid
     FROM (SELECT lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') AS t,
                  gen_random_uuid()::text AS g) AS parts)`;

// One round trip: the INSERT claims against the unique constraint; if it loses, the SELECT returns
// the holder. Both see the same snapshot, so a holder committed between the two is invisible to
// the SELECT: the result is then a row with no record, and the engine simply tries again. With a
// cap ($9), a scope at capacity inserts nothing: a holder is still returned (a replay never counts),
// and with none the row says `refused`.
const CLAIM = statement(
  "idempotency_claim",
  `WITH cap AS (SELECT ${atCapacity("$1", "$9")} AS full_up),
   ins AS (
     INSERT INTO idempotency_records
       (id, scope, operation, key, fingerprint, state, owner_token, locked_until, expires_at, executions, input)
     SELECT ${TIME_ORDERED_UUID}, $1, $2, $3, $4, 'in_progress', $5::uuid,
            now() + $6::int * interval '1 second', now() + $7::int * interval '1 second', 1, $8::jsonb
       FROM cap WHERE NOT cap.full_up
     ON CONFLICT (scope, operation, key) DO NOTHING
     RETURNING ${RECORD_COLUMNS}, expires_at
   )
   SELECT true AS claimed, false AS refused, ${RECORD_COLUMNS}, ${EXPIRES_IN_MS} AS expires_in_ms,
          false AS lease_expired, false AS expired
     FROM ins
   UNION ALL
   SELECT false AS claimed, cap.full_up AS refused, ${prefixed("r")}, extract(epoch FROM r.expires_at - now())::float8 * 1000 AS expires_in_ms,
          coalesce(r.locked_until <= now(), false) AS lease_expired, r.expires_at <= now() AS expired
     FROM cap LEFT JOIN idempotency_records r ON r.scope = $1 AND r.operation = $2 AND r.key = $3
    WHERE NOT EXISTS (SELECT 1 FROM ins)`,
);

// Compare-and-swap on (state, executions): of all the takers that saw this version, one wins. The
// recovery points stay: the new owner resumes from them. With a cap ($10), a scope at capacity
// leaves the record as it was, and says so (`refused`) if it is still as seen.
const TAKE_OVER = statement(
  "idempotency_take_over",
  `WITH cap AS (SELECT ${atCapacity("$9", "$10")} AS full_up),
   upd AS (
     UPDATE idempotency_records
        SET state = 'in_progress', owner_token = $4::uuid, fingerprint = $5,
            locked_until = now() + $6::int * interval '1 second',
            expires_at = now() + $7::int * interval '1 second',
            executions = executions + 1, updated_at = now(),
            response_status = NULL, response_headers = NULL, response_body = NULL, resource_id = NULL,
            input = coalesce($8::jsonb, input)
      WHERE id = $1::uuid AND state = $2 AND executions = $3::int
        AND (state = 'released' OR (state = 'in_progress' AND locked_until <= now()))
        AND NOT (SELECT full_up FROM cap)
     RETURNING executions, checkpoints
   )
   SELECT false AS refused, executions, checkpoints FROM upd
   UNION ALL
   SELECT true AS refused, NULL, NULL FROM cap
    WHERE cap.full_up AND EXISTS (SELECT 1 FROM idempotency_records WHERE id = $1::uuid AND state = $2 AND executions = $3::int)`,
);

// Never a record stopped past a recovery point without its outcome: see `unsettled` in the engine.
const DELETE_IF_EXPIRED = statement(
  "idempotency_delete_if_expired",
  `DELETE FROM idempotency_records
    WHERE id = $1::uuid AND expires_at <= now()
      AND (state = 'completed' OR recovery_point IS NULL)
      AND (state <> 'in_progress' OR locked_until <= now())`,
);

// The completion is also the ownership check: a takeover changed the token, so a stale executor
// touches no row and its whole transaction, effect included, rolls back. A recovery point that rode
// in this commit ($8, its value $9) is recorded as if it had committed on its own just before.
const COMPLETE = statement(
  "idempotency_complete",
  `UPDATE idempotency_records
      SET state = 'completed', owner_token = NULL, locked_until = NULL,
          response_status = $3::int, response_headers = $4::jsonb, response_body = $5, resource_id = $6,
          expires_at = now() + $7::int * interval '1 second', completed_at = now(), updated_at = now(),
          checkpoints = CASE WHEN $8::text IS NULL THEN checkpoints
                             ELSE checkpoints || jsonb_build_object($8::text, jsonb_build_object('at', now(), 'value', $9::jsonb)) END,
          recovery_point = coalesce($8::text, recovery_point)
    WHERE id = $1::uuid AND owner_token = $2::uuid AND state = 'in_progress'
   RETURNING awaited`,
);

// Owner-guarded like the completion; each recovery point also renews the lease.
const CHECKPOINT = statement(
  "idempotency_checkpoint",
  `UPDATE idempotency_records
      SET checkpoints = checkpoints || jsonb_build_object($3::text, jsonb_build_object('at', now(), 'value', $4::jsonb)),
          recovery_point = $3, locked_until = now() + $5::int * interval '1 second', updated_at = now()
    WHERE id = $1::uuid AND owner_token = $2::uuid AND state = 'in_progress'`,
);

const ABANDONED = statement(
  "idempotency_abandoned",
  `SELECT scope, operation, key, input, recovery_point AS "recoveryPoint"
     FROM idempotency_records
    WHERE recovery_point IS NOT NULL AND input IS NOT NULL
      AND state <> 'completed'
      AND ((state = 'in_progress' AND locked_until <= now())
        OR (state = 'released' AND updated_at <= now() - $2::int * interval '1 second'))
      AND ($3::int IS NULL OR created_at > now() - $3::int * interval '1 second')
    ORDER BY updated_at
    LIMIT $1::int`,
);

const RELEASE = statement(
  "idempotency_release",
  `UPDATE idempotency_records
      SET state = 'released', owner_token = NULL, locked_until = NULL, updated_at = now()
    WHERE id = $1::uuid AND owner_token = $2::uuid AND state = 'in_progress'
   RETURNING awaited`,
);

// Set by a duplicate that waits in another process; the completion or release then notifies. Only
// for an in-progress record: otherwise there is nothing to wait for, and the waiter looks again.
const WATCH = statement("idempotency_watch", "UPDATE idempotency_records SET awaited = true WHERE id = $1::uuid AND state = 'in_progress'");
const NOTIFY = statement("idempotency_notify", "SELECT pg_notify($1, $2)");

export interface PostgresStoreOptions {
  /**
   * The channel completions and releases of watched records are announced on (NOTIFY, delivered
   * at commit); unset, `watch` is not offered. A listener hands the record ids to `engine.wake`.
   */
  notifyChannel?: string;
}

/**
 * The store on PostgreSQL. Every step is one statement, every lease and expiry is judged by the
 * database's `now()`, and every write after the claim is guarded by the owner token. Any failure of
 * its own statements is rethrown as StoreError; the effect's own errors pass through untouched.
 */
export class PostgresStore<Tx extends SqlRunner> implements IdempotencyStore<Tx> {
  readonly watch?: (recordId: string) => Promise<boolean>;

  constructor(
    private readonly sql: SqlTransactor<Tx>,
    private readonly options: PostgresStoreOptions = {},
  ) {
    if (options.notifyChannel) this.watch = (recordId) => guard(recordId, async () => (await this.sql.count(WATCH, [recordId])) === 1);
  }

  insertOrGet(r: ClaimRequest): Promise<InsertResult> {
    return guard(r.key, async () => {
      const [row] = await this.sql.rows<RecordRow>(CLAIM, [
        r.scope,
        r.operation,
        r.key,
        r.fingerprint,
        r.ownerToken,
        r.lockTimeoutSeconds,
        r.ttlSeconds,
        jsonOrNull(r.input),
        r.maxInFlight ?? null,
      ]);
      if (!row) return null;
      if (row.claimed) return { owned: true, claim: claimOf({ ...row, id: row.id!, checkpoints: {} }, r) };
      if (row.id === null) return row.refused ? { owned: false, record: null, refused: "at_capacity" } : null;
      return { owned: false, record: toRecord({ ...row, id: row.id }) };
    });
  }

  takeOver(seen: IdempotencyRecord, r: ClaimRequest): Promise<OwnedClaim | "at_capacity" | null> {
    return guard(r.key, async () => {
      const [row] = await this.sql.rows<{ refused: boolean; executions: number; checkpoints: Checkpoints }>(TAKE_OVER, [
        seen.id,
        seen.state,
        seen.executions,
        r.ownerToken,
        r.fingerprint,
        r.lockTimeoutSeconds,
        r.ttlSeconds,
        jsonOrNull(r.input),
        seen.scope,
        r.maxInFlight ?? null,
      ]);
      if (!row) return null;
      return row.refused ? "at_capacity" : claimOf({ id: seen.id, ...row }, r);
    });
  }

  deleteIfExpired(seen: IdempotencyRecord): Promise<void> {
    return guard(seen.key, async () => {
      await this.sql.count(DELETE_IF_EXPIRED, [seen.id]);
    });
  }

  async executeAndComplete(claim: OwnedClaim, ttlSeconds: number, execute: (tx: Tx) => Promise<Completion>): Promise<StoredResponse> {
    const effectFailure: { error?: unknown } = {};
    try {
      return await this.sql.transaction(async (tx) => {
        const { response, resourceId, checkpoint } = await execute(tx).catch((error: unknown) => {
          effectFailure.error = error;
          throw error;
        });
        const [completed] = await tx.rows<{ awaited: boolean }>(COMPLETE, [
          claim.recordId,
          claim.ownerToken,
          response.status,
          JSON.stringify(response.headers),
          response.body,
          resourceId,
          ttlSeconds,
          checkpoint?.point ?? null,
          checkpoint ? JSON.stringify(checkpoint.value ?? null) : null,
        ]);
        if (!completed) throw new LostOwnershipError(claim.key);
        // Delivered at commit, and only when a duplicate elsewhere waits: most completions notify nobody.
        if (completed.awaited) await this.notify(tx, claim.recordId);
        return response;
      });
    } catch (error) {
      if (error instanceof LostOwnershipError || ("error" in effectFailure && error === effectFailure.error)) throw error;
      throw new StoreError(claim.key, error);
    }
  }

  async checkpoint<T>(claim: OwnedClaim, point: string, lockTimeoutSeconds: number, step: (tx: Tx) => Promise<T>): Promise<T> {
    const stepFailure: { error?: unknown } = {};
    try {
      return await this.sql.transaction(async (tx) => {
        const value = await step(tx).catch((error: unknown) => {
          stepFailure.error = error;
          throw error;
        });
        const saved = await tx.count(CHECKPOINT, [claim.recordId, claim.ownerToken, point, JSON.stringify(value ?? null), lockTimeoutSeconds]);
        if (saved === 0) throw new LostOwnershipError(claim.key);
        return value;
      });
    } catch (error) {
      if (error instanceof LostOwnershipError || ("error" in stepFailure && error === stepFailure.error)) throw error;
      throw new StoreError(claim.key, error);
    }
  }

  abandoned(limit: number, graceSeconds: number, maxAgeSeconds?: number): Promise<Abandoned[]> {
    return guard("(completer)", () => this.sql.rows<Abandoned>(ABANDONED, [limit, graceSeconds, maxAgeSeconds ?? null]));
  }

  release(claim: OwnedClaim): Promise<boolean> {
    return guard(claim.key, async () => {
      const [released] = await this.sql.rows<{ awaited: boolean }>(RELEASE, [claim.recordId, claim.ownerToken]);
      if (released?.awaited) await this.notify(this.sql, claim.recordId);
      return released !== undefined;
    });
  }

  private async notify(runner: SqlRunner, recordId: string): Promise<void> {
    if (this.options.notifyChannel) await runner.rows(NOTIFY, [this.options.notifyChannel, recordId]);
  }
}

async function guard<T>(key: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new StoreError(key, error);
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function claimOf(row: { id: string; executions: number; checkpoints: Checkpoints }, r: ClaimRequest): OwnedClaim {
  return {
    recordId: row.id,
    ownerToken: r.ownerToken,
    scope: r.scope,
    operation: r.operation,
    key: r.key,
    fingerprint: r.fingerprint,
    executions: row.executions,
    checkpoints: row.checkpoints,
  };
}

function toRecord(row: RecordRow & { id: string }): IdempotencyRecord {
  return {
    id: row.id,
    scope: row.scope,
    operation: row.operation,
    key: row.key,
    fingerprint: row.fingerprint,
    state: row.state,
    ownerToken: row.owner_token,
    executions: row.executions,
    response:
      row.response_status === null || row.response_body === null
        ? null
        : { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body },
    resourceId: row.resource_id,
    recoveryPoint: row.recovery_point,
    expiresInMs: row.expires_in_ms,
    leaseExpired: row.lease_expired,
    expired: row.expired,
  };
}
