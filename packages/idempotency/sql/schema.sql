-- The table @oncepay/idempotency's PostgreSQL store keeps its records in (PostgreSQL 13+; PGlite).
-- Run it once, with your own migrations; schemaSql in "@oncepay/idempotency/postgres" is this text.
CREATE TABLE IF NOT EXISTS idempotency_records (
  id               uuid PRIMARY KEY,
  scope            text NOT NULL,
  operation        text NOT NULL,
  key              text NOT NULL,
  fingerprint      text NOT NULL,
  state            text NOT NULL,
  owner_token      uuid,
  locked_until     timestamptz(3),
  expires_at       timestamptz(3) NOT NULL,
  executions       integer NOT NULL DEFAULT 1,
  response_status  integer,
  response_headers jsonb,
  response_body    text,
  resource_id      text,
  checkpoints      jsonb NOT NULL DEFAULT '{}',
  input            jsonb,
  recovery_point   text,
  awaited          boolean NOT NULL DEFAULT false,
  created_at       timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at       timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  completed_at     timestamptz(3)
);
-- One record per key of an operation in a scope: the claim's arbiter.
CREATE UNIQUE INDEX IF NOT EXISTS idempotency_records_scope_operation_key_key ON idempotency_records (scope, operation, key);
-- Retention: what a cleanup deletes first.
CREATE INDEX IF NOT EXISTS idempotency_records_expires_at_idx ON idempotency_records (expires_at);
-- A completer's sweep: only unfinished records past a recovery point, a handful at any time.
CREATE INDEX IF NOT EXISTS idempotency_records_unfinished_idx ON idempotency_records (updated_at)
  WHERE recovery_point IS NOT NULL AND state <> 'completed';
-- maxInFlight: a scope's keys in flight, counted on in-progress records only.
CREATE INDEX IF NOT EXISTS idempotency_records_in_flight_idx ON idempotency_records (scope) WHERE state = 'in_progress';
