/**
 * The batch's tables, the same SQL for PGlite and Postgres. Created under an advisory lock so
 * several workers starting at once do not race on CREATE. Times are epoch ms of the database
 * clock (NOW_MS), as float8 so both drivers read numbers.
 */
import type { Sql } from './sql.js';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS dollr_payout_rows (
  batch text NOT NULL,
  row_id text NOT NULL,
  line integer NOT NULL,
  amount text NOT NULL,
  currency text NOT NULL,
  fingerprint text NOT NULL,
  payout_account_id text,
  phone text,
  name text,
  provider text,
  note text,
  state text NOT NULL DEFAULT 'NEW',
  reference_id text UNIQUE,
  account_id text,
  session_id text,
  session_expires_at float8,
  provider_transaction_id text,
  message text,
  lease_owner text,
  lease_until float8,
  updated_at float8 NOT NULL,
  PRIMARY KEY (batch, row_id)
);
CREATE INDEX IF NOT EXISTS dollr_payout_rows_by_line ON dollr_payout_rows (batch, line);
CREATE TABLE IF NOT EXISTS dollr_payout_recipients (
  batch text NOT NULL,
  phone text NOT NULL,
  party_id text,
  account_id text,
  message text,
  lease_owner text,
  lease_until float8,
  PRIMARY KEY (batch, phone)
);
CREATE TABLE IF NOT EXISTS dollr_shared (
  key text PRIMARY KEY,
  value text,
  expires_at float8,
  refresh_at float8,
  writes integer NOT NULL DEFAULT 0
);
`;

const SCHEMA_LOCK = 0x646f6c6c; // 'doll'

export async function migrate(sql: Sql): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
    for (const statement of SCHEMA.split(';').map((s) => s.trim()).filter(Boolean)) await tx.query(statement);
  });
}
