import { mkdirSync } from "node:fs";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { WEBHOOK_SCHEMA } from "./webhooks/schema";

/** What the ledger code needs from a connection or a transaction: the same `query` either way. */
export type Queryable = Pick<Transaction, "query">;

// `seq` orders lists (newest first) and the event outbox; ids are random. Amounts are integers of
// the smallest currency unit, as Stripe's are. The CHECK is the money rule's last line of defence.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS payment_intents (
  seq                bigserial UNIQUE,
  id                 text PRIMARY KEY,
  created            integer NOT NULL,
  amount             integer NOT NULL CHECK (amount > 0),
  amount_received    integer NOT NULL DEFAULT 0,
  amount_refunded    integer NOT NULL DEFAULT 0,
  currency           text NOT NULL,
  status             text NOT NULL,
  payment_method     text,
  latest_charge      text,
  last_payment_error jsonb,
  metadata           jsonb NOT NULL DEFAULT '{}',
  description        text,
  customer           text,
  CHECK (amount_refunded >= 0 AND amount_refunded <= amount_received)
);
CREATE TABLE IF NOT EXISTS refunds (
  seq            bigserial UNIQUE,
  id             text PRIMARY KEY,
  created        integer NOT NULL,
  amount         integer NOT NULL CHECK (amount > 0),
  payment_intent text NOT NULL REFERENCES payment_intents (id),
  charge         text NOT NULL,
  currency       text NOT NULL,
  status         text NOT NULL,
  reason         text,
  metadata       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS refunds_payment_intent ON refunds (payment_intent, seq);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  api_key_hash text NOT NULL,
  idem_key     text NOT NULL,
  method       text NOT NULL,
  path         text NOT NULL,
  fingerprint  text NOT NULL,
  state        text NOT NULL CHECK (state IN ('in_progress', 'completed')),
  request_id   text NOT NULL,
  status       integer,
  body         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (api_key_hash, idem_key)
);
CREATE TABLE IF NOT EXISTS events (
  seq     bigserial UNIQUE,
  id      text PRIMARY KEY,
  type    text NOT NULL,
  created integer NOT NULL,
  data    jsonb NOT NULL
);
-- Added with webhook delivery; older ledgers get the column on open.
ALTER TABLE events ADD COLUMN IF NOT EXISTS idempotency_key text;
CREATE TABLE IF NOT EXISTS disputes (
  seq            bigserial UNIQUE,
  id             text PRIMARY KEY,
  created        integer NOT NULL,
  amount         integer NOT NULL CHECK (amount > 0),
  payment_intent text NOT NULL REFERENCES payment_intents (id),
  charge         text NOT NULL UNIQUE,
  currency       text NOT NULL,
  reason         text NOT NULL,
  status         text NOT NULL
);
`;

/** Opens (creating if needed) the simulator's own database: a directory, or `memory://` for throwaway runs. */
export async function openStore(dataDir: string): Promise<PGlite> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir });
  await db.exec(SCHEMA);
  await db.exec(WEBHOOK_SCHEMA);
  return db;
}
