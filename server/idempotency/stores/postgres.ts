import { LostOwnershipError, StoreError } from "../errors";
import { RecordState, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "../record";
import { statement, type SqlRunner, type SqlTransactor } from "./sql";
import type { ClaimRequest, Completion, IdempotencyStore, InsertResult } from "./store";

interface RecordRow {
  claimed: boolean;
  id: string;
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
  expires_in_ms: number;
  lease_expired: boolean;
  expired: boolean;
}

/** Retention left in ms, by the database's clock. */
const EXPIRES_IN_MS = `extract(epoch FROM expires_at - now())::float8 * 1000`;

const RECORD_COLUMNS = `id, scope, operation, key, fingerprint, state, owner_token, executions,
  response_status, response_headers, response_body, resource_id`;

// One round trip: the INSERT claims against the unique constraint; if it loses, the SELECT returns
// the holder. Both see the same snapshot, so a holder committed between the two is invisible to
// the SELECT: the result is then empty and the engine simply tries again.
const CLAIM = statement(
  "idempotency_claim",
  `WITH ins AS (
     INSERT INTO idempotency_records
       (id, scope, operation, key, fingerprint, state, owner_token, locked_until, expires_at, executions)
     VALUES (gen_random_uuid(), $1, $2, $3, $4, 'in_progress', $5::uuid,
             now() + $6::int * interval '1 second', now() + $7::int * interval '1 second', 1)
     ON CONFLICT (scope, operation, key) DO NOTHING
     RETURNING ${RECORD_COLUMNS}, expires_at
   )
   SELECT true AS claimed, ${RECORD_COLUMNS}, ${EXPIRES_IN_MS} AS expires_in_ms,
          false AS lease_expired, false AS expired
     FROM ins
   UNION ALL
   SELECT false AS claimed, ${RECORD_COLUMNS}, ${EXPIRES_IN_MS} AS expires_in_ms,
          coalesce(locked_until <= now(), false) AS lease_expired, expires_at <= now() AS expired
     FROM idempotency_records
    WHERE scope = $1 AND operation = $2 AND key = $3 AND NOT EXISTS (SELECT 1 FROM ins)`,
);

// Compare-and-swap on (state, executions): of all the takers that saw this version, one wins.
const TAKE_OVER = statement(
  "idempotency_take_over",
  `UPDATE idempotency_records
      SET state = 'in_progress', owner_token = $4::uuid, fingerprint = $5,
          locked_until = now() + $6::int * interval '1 second',
          expires_at = now() + $7::int * interval '1 second',
          executions = executions + 1, updated_at = now(),
          response_status = NULL, response_headers = NULL, response_body = NULL, resource_id = NULL
    WHERE id = $1::uuid AND state = $2 AND executions = $3::int
      AND (state = 'released' OR (state = 'in_progress' AND locked_until <= now()))
   RETURNING executions`,
);

const DELETE_IF_EXPIRED = statement(
  "idempotency_delete_if_expired",
  `DELETE FROM idempotency_records
    WHERE id = $1::uuid AND expires_at <= now()
      AND (state <> 'in_progress' OR locked_until <= now())`,
);

// The completion is also the ownership check: a takeover changed the token, so a stale executor
// touches no row and its whole transaction, effect included, rolls back.
const COMPLETE = statement(
  "idempotency_complete",
  `UPDATE idempotency_records
      SET state = 'completed', owner_token = NULL, locked_until = NULL,
          response_status = $3::int, response_headers = $4::jsonb, response_body = $5, resource_id = $6,
          expires_at = now() + $7::int * interval '1 second', completed_at = now(), updated_at = now()
    WHERE id = $1::uuid AND owner_token = $2::uuid AND state = 'in_progress'`,
);

const RELEASE = statement(
  "idempotency_release",
  `UPDATE idempotency_records
      SET state = 'released', owner_token = NULL, locked_until = NULL, updated_at = now()
    WHERE id = $1::uuid AND owner_token = $2::uuid AND state = 'in_progress'`,
);

/**
 * The store on PostgreSQL. Every step is one statement, every lease and expiry is judged by the
 * database's `now()`, and every write after the claim is guarded by the owner token. Any failure of
 * its own statements is rethrown as StoreError; the effect's own errors pass through untouched.
 */
export class PostgresStore<Tx extends SqlRunner> implements IdempotencyStore<Tx> {
  constructor(private readonly sql: SqlTransactor<Tx>) {}

  insertOrGet(r: ClaimRequest): Promise<InsertResult> {
    return guard(r.key, async () => {
      const [row] = await this.sql.rows<RecordRow>(CLAIM, [r.scope, r.operation, r.key, r.fingerprint, r.ownerToken, r.lockTimeoutSeconds, r.ttlSeconds]);
      if (!row) return null;
      return row.claimed ? { owned: true, claim: claimOf(row, r) } : { owned: false, record: toRecord(row) };
    });
  }

  takeOver(seen: IdempotencyRecord, r: ClaimRequest): Promise<OwnedClaim | null> {
    return guard(r.key, async () => {
      const [row] = await this.sql.rows<{ executions: number }>(TAKE_OVER, [
        seen.id,
        seen.state,
        seen.executions,
        r.ownerToken,
        r.fingerprint,
        r.lockTimeoutSeconds,
        r.ttlSeconds,
      ]);
      return row ? claimOf({ id: seen.id, executions: row.executions }, r) : null;
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
        const { response, resourceId } = await execute(tx).catch((error: unknown) => {
          effectFailure.error = error;
          throw error;
        });
        const completed = await tx.count(COMPLETE, [
          claim.recordId,
          claim.ownerToken,
          response.status,
          JSON.stringify(response.headers),
          response.body,
          resourceId,
          ttlSeconds,
        ]);
        if (completed === 0) throw new LostOwnershipError(claim.key);
        return response;
      });
    } catch (error) {
      if (error instanceof LostOwnershipError || ("error" in effectFailure && error === effectFailure.error)) throw error;
      throw new StoreError(claim.key, error);
    }
  }

  release(claim: OwnedClaim): Promise<boolean> {
    return guard(claim.key, async () => (await this.sql.count(RELEASE, [claim.recordId, claim.ownerToken])) === 1);
  }
}

async function guard<T>(key: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new StoreError(key, error);
  }
}

function claimOf(row: { id: string; executions: number }, r: ClaimRequest): OwnedClaim {
  return {
    recordId: row.id,
    ownerToken: r.ownerToken,
    scope: r.scope,
    operation: r.operation,
    key: r.key,
    fingerprint: r.fingerprint,
    executions: row.executions,
  };
}

function toRecord(row: RecordRow): IdempotencyRecord {
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
    expiresInMs: row.expires_in_ms,
    leaseExpired: row.lease_expired,
    expired: row.expired,
  };
}
