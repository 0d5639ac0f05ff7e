import type { PrismaClient, Tx } from "../../db/client";
import { LostOwnershipError } from "../errors";
import { RecordState, type IdempotencyRecord, type OwnedClaim, type StoredResponse } from "../record";
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
  attempts: number;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
  resource_id: string | null;
  created_at: Date;
  lease_expired: boolean;
  expired: boolean;
}

/** Interactive transactions wait for a connection and run the effect; the defaults (2 s / 5 s) are tight under load. */
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 };

/**
 * The store on PostgreSQL. Every step is one statement, every lease and expiry is judged by the
 * database's `now()`, and every write after the claim is guarded by the owner token.
 */
export class PostgresStore implements IdempotencyStore<Tx> {
  constructor(private readonly prisma: PrismaClient) {}

  async insertOrGet(r: ClaimRequest): Promise<InsertResult> {
    // One round trip: the INSERT claims against the unique constraint; if it loses, the SELECT
    // returns the holder. Both see the same snapshot, so a holder committed between the two is
    // invisible to the SELECT: the result is then empty and the engine simply tries again.
    const rows = await this.prisma.$queryRaw<RecordRow[]>`
      WITH ins AS (
        INSERT INTO idempotency_records
          (id, scope, operation, key, fingerprint, state, owner_token, locked_until, expires_at, attempts)
        VALUES (gen_random_uuid(), ${r.scope}, ${r.operation}, ${r.key}, ${r.fingerprint}, 'in_progress',
                ${r.ownerToken}::uuid, now() + ${r.lockTimeoutSeconds}::int * interval '1 second',
                now() + ${r.ttlSeconds}::int * interval '1 second', 1)
        ON CONFLICT (scope, operation, key) DO NOTHING
        RETURNING *
      )
      SELECT true AS claimed, ins.*, false AS lease_expired, false AS expired FROM ins
      UNION ALL
      SELECT false AS claimed, r.*,
             coalesce(r.locked_until <= now(), false) AS lease_expired,
             r.expires_at <= now() AS expired
        FROM idempotency_records r
       WHERE r.scope = ${r.scope} AND r.operation = ${r.operation} AND r.key = ${r.key}
         AND NOT EXISTS (SELECT 1 FROM ins)`;
    const row = rows[0];
    if (!row) return null;
    if (row.claimed) return { owned: true, claim: toClaim(row, r.ownerToken) };
    return { owned: false, record: toRecord(row) };
  }

  async takeOver(seen: IdempotencyRecord, r: ClaimRequest): Promise<OwnedClaim | null> {
    // Compare-and-swap on (state, attempts): of all the takers that saw this version, one wins.
    const rows = await this.prisma.$queryRaw<RecordRow[]>`
      UPDATE idempotency_records
         SET state = 'in_progress', owner_token = ${r.ownerToken}::uuid, fingerprint = ${r.fingerprint},
             locked_until = now() + ${r.lockTimeoutSeconds}::int * interval '1 second',
             expires_at = now() + ${r.ttlSeconds}::int * interval '1 second',
             attempts = attempts + 1, updated_at = now(),
             response_status = NULL, response_headers = NULL, response_body = NULL, resource_id = NULL
       WHERE id = ${seen.id}::uuid AND state = ${seen.state} AND attempts = ${seen.attempts}::int
         AND (state = 'released' OR (state = 'in_progress' AND locked_until <= now()))
      RETURNING *, true AS claimed`;
    const row = rows[0];
    return row ? toClaim(row, r.ownerToken) : null;
  }

  async deleteIfExpired(seen: IdempotencyRecord): Promise<void> {
    await this.prisma.$executeRaw`
      DELETE FROM idempotency_records
       WHERE id = ${seen.id}::uuid AND expires_at <= now()
         AND (state <> 'in_progress' OR locked_until <= now())`;
  }

  async executeAndComplete(
    claim: OwnedClaim,
    ttlSeconds: number,
    execute: (tx: Tx) => Promise<Completion>,
  ): Promise<StoredResponse> {
    return this.prisma.$transaction(async (tx) => {
      // Lock the record first: a takeover now waits for this transaction and then finds the
      // record completed, so two executors never run the effect side by side.
      const owned = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM idempotency_records
         WHERE id = ${claim.recordId}::uuid AND owner_token = ${claim.ownerToken}::uuid AND state = 'in_progress'
         FOR UPDATE`;
      if (owned.length === 0) throw new LostOwnershipError(claim.key);
      const { response, resourceId } = await execute(tx);
      await tx.$executeRaw`
        UPDATE idempotency_records
           SET state = 'completed', owner_token = NULL, locked_until = NULL,
               response_status = ${response.status}::int, response_headers = ${JSON.stringify(response.headers)}::jsonb,
               response_body = ${response.body}, resource_id = ${resourceId},
               expires_at = now() + ${ttlSeconds}::int * interval '1 second',
               completed_at = now(), updated_at = now()
         WHERE id = ${claim.recordId}::uuid`;
      return response;
    }, TRANSACTION_OPTIONS);
  }

  async release(claim: OwnedClaim): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE idempotency_records
         SET state = 'released', owner_token = NULL, locked_until = NULL, updated_at = now()
       WHERE id = ${claim.recordId}::uuid AND owner_token = ${claim.ownerToken}::uuid AND state = 'in_progress'`;
  }
}

function toClaim(row: Pick<RecordRow, "id" | "scope" | "operation" | "key" | "attempts">, ownerToken: string): OwnedClaim {
  return { recordId: row.id, ownerToken, scope: row.scope, operation: row.operation, key: row.key, attempts: row.attempts };
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
    attempts: row.attempts,
    response:
      row.response_status === null || row.response_body === null
        ? null
        : { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body },
    resourceId: row.resource_id,
    createdAt: row.created_at,
    leaseExpired: row.lease_expired,
    expired: row.expired,
  };
}
