import { createHash } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import { ProviderError } from "./errors";
import type { Queryable } from "./store";

/**
 * Stripe's idempotency: a key (per API key, kept 24 h) is claimed before the request executes;
 * the answer is saved in the same transaction as the effects, so a saved answer and its effects
 * exist together or not at all. Answers to requests that never executed (bad params, 409, the
 * injected fail-before-charge) are not saved.
 */
export const KEY_TTL_HOURS = 24;

export interface IdempotencyScope {
  apiKeyHash: string;
  key: string;
  method: string;
  path: string;
  /** Method, path and canonical params: a retry must match it exactly to be replayed. */
  fingerprint: string;
}

export interface SavedAnswer {
  status: number;
  body: string;
  requestId: string;
}

export type Claim = { kind: "claimed" } | { kind: "replay"; saved: SavedAnswer } | { kind: "in_use" } | { kind: "mismatch" };

/** Keys are scoped per API key, but the key itself is no business of the database. */
export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

/** JSON with object keys sorted at every level, so `a=1&b=2` and `b=2&a=1` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function fingerprint(method: string, path: string, params: unknown): string {
  return `${method} ${path} ${canonicalJson(params)}`;
}

interface KeyRow {
  fingerprint: string;
  state: "in_progress" | "completed";
  request_id: string;
  status: number | null;
  body: string | null;
}

/** Claims the key atomically, or says why not (or what to replay). */
export async function claim(db: PGlite, scope: IdempotencyScope, requestId: string): Promise<Claim> {
  return db.transaction(async (tx) => {
    // An expired key is as good as never used.
    await tx.query(`DELETE FROM idempotency_keys WHERE api_key_hash = $1 AND idem_key = $2 AND created_at < now() - interval '${KEY_TTL_HOURS} hours'`, [
      scope.apiKeyHash,
      scope.key,
    ]);
    const inserted = await tx.query(
      `INSERT INTO idempotency_keys (api_key_hash, idem_key, method, path, fingerprint, state, request_id)
       VALUES ($1, $2, $3, $4, $5, 'in_progress', $6) ON CONFLICT DO NOTHING RETURNING 1`,
      [scope.apiKeyHash, scope.key, scope.method, scope.path, scope.fingerprint, requestId],
    );
    if (inserted.rows.length > 0) return { kind: "claimed" };
    const { rows } = await tx.query<KeyRow>(
      "SELECT fingerprint, state, request_id, status, body FROM idempotency_keys WHERE api_key_hash = $1 AND idem_key = $2",
      [scope.apiKeyHash, scope.key],
    );
    const row = rows[0];
    if (!row) throw new Error("idempotency key vanished inside its own transaction");
    if (row.fingerprint !== scope.fingerprint) return { kind: "mismatch" };
    if (row.state === "in_progress" || row.status === null || row.body === null) return { kind: "in_use" };
    return { kind: "replay", saved: { status: row.status, body: row.body, requestId: row.request_id } };
  });
}

/** Saves the answer; call it inside the transaction that made the request's effects. */
export async function complete(tx: Queryable, scope: IdempotencyScope, status: number, body: string): Promise<void> {
  await tx.query(
    "UPDATE idempotency_keys SET state = 'completed', status = $3, body = $4 WHERE api_key_hash = $1 AND idem_key = $2 AND state = 'in_progress'",
    [scope.apiKeyHash, scope.key, status, body],
  );
}

/** Frees a claim whose request did not execute, so a retry executes afresh. */
export async function release(db: Queryable, scope: IdempotencyScope): Promise<void> {
  await db.query("DELETE FROM idempotency_keys WHERE api_key_hash = $1 AND idem_key = $2 AND state = 'in_progress'", [scope.apiKeyHash, scope.key]);
}

/**
 * At start, every claim still in progress belongs to a process that died; its effects would have
 * committed with its answer, so none exist, and the key can be claimed again. Expired keys go too.
 */
export async function recoverKeys(db: Queryable): Promise<void> {
  await db.query(`DELETE FROM idempotency_keys WHERE state = 'in_progress' OR created_at < now() - interval '${KEY_TTL_HOURS} hours'`);
}

export const mismatchError = (key: string) =>
  new ProviderError(400, {
    type: "idempotency_error",
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });

export const inUseError = () =>
  new ProviderError(409, {
    type: "idempotency_error",
    code: "idempotency_key_in_use",
    message:
      "There is currently another in-progress request using this Stripe-Idempotency-Key. Please try again later; if the problem persists, retry with a new key.",
  });
