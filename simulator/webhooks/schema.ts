/**
 * Delivery progress, kept apart from the ledger it reports on. `webhook_endpoints.after_seq` is a
 * cursor: every event at or below it is settled (delivered or given up), so the outbox scan stays
 * short however long the ledger grows. An endpoint starts at the outbox's end when first seen, as a
 * new Stripe endpoint receives only events created after it. `deliveries` holds the events past the
 * cursor that have been tried; `delivery_attempts` is the log for tests and the dashboard.
 */
export const WEBHOOK_SCHEMA = `
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  url       text PRIMARY KEY,
  after_seq bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  endpoint        text NOT NULL,
  event_id        text NOT NULL REFERENCES events (id),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  delivered_at    bigint,
  failed_at       bigint,
  last_status     text,
  PRIMARY KEY (endpoint, event_id)
);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  seq         bigserial PRIMARY KEY,
  endpoint    text NOT NULL,
  event_id    text NOT NULL,
  attempt     integer NOT NULL,
  copy        integer NOT NULL,
  status      integer,
  error       text,
  duration_ms integer NOT NULL,
  manual      boolean NOT NULL DEFAULT false,
  at          bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_attempts_event ON delivery_attempts (event_id, seq);
`;
