/**
 * The batch store: rows with their recorded state, claimed by workers with a lease (FOR UPDATE
 * SKIP LOCKED), and the recipients created per distinct phone. Every write is one statement
 * that also checks the writer still holds the row's lease (a worker that lost it writes
 * nothing), so a crash or a failed write leaves the previous recorded state.
 */
import { NOW_MS } from './sql.js';
import type { Queryable, Sql } from './sql.js';
import { migrate } from './schema.js';
import { END_STATES, FINAL_STATES } from './machine.js';
import type { RowState } from './machine.js';
import { rowFingerprint } from './rows.js';
import type { PayoutRow } from './rows.js';

/** A lease is at most 30 s (renewed while its worker lives). */
export const MAX_LEASE_MS = 30_000;

export interface StoredRow {
  rowId: string;
  line: number;
  amount: string;
  currency: string;
  payoutAccountId: string | null;
  phone: string | null;
  name: string | null;
  provider: string | null;
  note: string | null;
  state: RowState;
  referenceId: string | null;
  accountId: string | null;
  sessionId: string | null;
  sessionExpiresAt: number | null;
  providerTransactionId: string | null;
  message: string | null;
}

/** The recorded fields a worker may change. */
export type RowUpdate = Partial<Pick<StoredRow, 'state' | 'referenceId' | 'accountId' | 'sessionId' | 'sessionExpiresAt' | 'providerTransactionId' | 'message'>>;

const COLUMN: Record<keyof RowUpdate, string> = {
  state: 'state',
  referenceId: 'reference_id',
  accountId: 'account_id',
  sessionId: 'session_id',
  sessionExpiresAt: 'session_expires_at',
  providerTransactionId: 'provider_transaction_id',
  message: 'message',
};

export class LeaseLostError extends Error {
  constructor(rowId: string) {
    super(`row ${rowId}: lease lost to another worker`);
    this.name = 'LeaseLostError';
  }
}

/** A rerun in which known rows changed amount, currency or recipient: refused, nothing written. */
export class ChangedRowsError extends Error {
  /** @param rowIds The changed rows' `row_id`s. */
  constructor(readonly rowIds: string[]) {
    super(`refused: ${rowIds.length} known row(s) changed amount, currency or recipient since the batch started: ${rowIds.slice(0, 20).join(', ')}${rowIds.length > 20 ? ', ...' : ''}`);
    this.name = 'ChangedRowsError';
  }
}

type DbRow = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toStored(r: DbRow): StoredRow {
  return {
    rowId: String(r.row_id),
    line: Number(r.line),
    amount: String(r.amount),
    currency: String(r.currency),
    payoutAccountId: str(r.payout_account_id),
    phone: str(r.phone),
    name: str(r.name),
    provider: str(r.provider),
    note: str(r.note),
    state: String(r.state) as RowState,
    referenceId: str(r.reference_id),
    accountId: str(r.account_id),
    sessionId: str(r.session_id),
    sessionExpiresAt: num(r.session_expires_at),
    providerTransactionId: str(r.provider_transaction_id),
    message: str(r.message),
  };
}

const FINAL_LIST = FINAL_STATES.map((s) => `'${s}'`).join(',');

export class BatchStore {
  private constructor(
    readonly sql: Sql,
    readonly batch: string,
  ) {}

  static async open(sql: Sql, batch: string): Promise<BatchStore> {
    await migrate(sql);
    return new BatchStore(sql, batch);
  }

  /** The database clock now (epoch ms). */
  async now(): Promise<number> {
    const [row] = await this.sql.query<{ now: number }>(`SELECT ${NOW_MS} AS now`);
    return Number(row!.now);
  }

  /**
   * Adds the file's rows the store does not know yet, in one transaction. Refuses (and changes
   * nothing) when a known row_id's amount, currency or recipient differs.
   */
  async load(rows: PayoutRow[]): Promise<{ added: number; known: number }> {
    return this.sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dollr-payouts:${this.batch}`]);
      const known = new Map(
        (await tx.query<{ row_id: string; fingerprint: string }>('SELECT row_id, fingerprint FROM dollr_payout_rows WHERE batch = $1', [this.batch])).map((r) => [r.row_id, r.fingerprint]),
      );
      const changed = rows.filter((row) => known.has(row.rowId) && known.get(row.rowId) !== rowFingerprint(row)).map((row) => row.rowId);
      if (changed.length > 0) throw new ChangedRowsError(changed);
      const fresh = rows.filter((row) => !known.has(row.rowId));
      const records = fresh.map((row) => {
        const r = row.recipient;
        return {
          row_id: row.rowId,
          line: row.line,
          amount: row.amount,
          currency: row.currency,
          fingerprint: rowFingerprint(row),
          payout_account_id: 'payoutAccountId' in r ? r.payoutAccountId : null,
          phone: 'phone' in r ? r.phone : null,
          name: 'name' in r ? r.name : null,
          provider: 'phone' in r ? (r.provider ?? null) : null,
          note: row.note ?? null,
        };
      });
      for (let i = 0; i < records.length; i += 2_000) {
        await tx.query(
          `INSERT INTO dollr_payout_rows (batch, row_id, line, amount, currency, fingerprint, payout_account_id, phone, name, provider, note, account_id, updated_at)
           SELECT $1, r.row_id, r.line, r.amount, r.currency, r.fingerprint, r.payout_account_id, r.phone, r.name, r.provider, r.note, r.payout_account_id, ${NOW_MS}
           FROM json_to_recordset($2::json) AS r(row_id text, line integer, amount text, currency text, fingerprint text, payout_account_id text, phone text, name text, provider text, note text)
           ON CONFLICT DO NOTHING`,
          [this.batch, JSON.stringify(records.slice(i, i + 2_000))],
        );
      }
      return { added: fresh.length, known: rows.length - fresh.length };
    });
  }

  /**
   * Claims up to `limit` rows that are not final, not leased by a live worker, and (for
   * NEEDS_REVIEW) were marked before `since`: a run looks each NEEDS_REVIEW row up once.
   */
  async claim(owner: string, limit: number, leaseMs: number, since: number): Promise<StoredRow[]> {
    const rows = await this.sql.query(
      // A MATERIALIZED CTE is evaluated once: a subquery in FROM may be re-run per joined row
      // and claim more than `limit`.
      `WITH c AS MATERIALIZED (
         SELECT row_id FROM dollr_payout_rows
         WHERE batch = $1 AND state NOT IN (${FINAL_LIST})
           AND NOT (state = 'NEEDS_REVIEW' AND updated_at >= $5)
           AND (lease_until IS NULL OR lease_until < ${NOW_MS})
         ORDER BY line LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE dollr_payout_rows AS r SET lease_owner = $2, lease_until = ${NOW_MS} + $3
       FROM c WHERE r.batch = $1 AND r.row_id = c.row_id
       RETURNING r.*`,
      [this.batch, owner, leaseMs, limit, since],
    );
    return rows.map(toStored).sort((a, b) => a.line - b.line);
  }

  /** Writes `update` if `owner` still holds the row; renews the lease, or releases it when `release`. */
  async update(owner: string, rowId: string, update: RowUpdate, leaseMs: number, release = false, tx: Queryable = this.sql): Promise<void> {
    const keys = Object.keys(update) as (keyof RowUpdate)[];
    const sets = keys.map((key, i) => `${COLUMN[key]} = $${i + 4}`);
    const lease = release ? 'lease_owner = NULL, lease_until = NULL' : `lease_until = ${NOW_MS} + $${keys.length + 4}`;
    const params: unknown[] = [this.batch, rowId, owner, ...keys.map((key) => update[key] ?? null), ...(release ? [] : [leaseMs])];
    const done = await tx.query(
      `UPDATE dollr_payout_rows SET ${[...sets, lease, `updated_at = ${NOW_MS}`].join(', ')}
       WHERE batch = $1 AND row_id = $2 AND lease_owner = $3 RETURNING row_id`,
      params,
    );
    if (done.length === 0) throw new LeaseLostError(rowId);
  }

  /** Mints the reference id at most once: it is committed only if the row has none. */
  async setReferenceId(owner: string, rowId: string, referenceId: string, leaseMs: number): Promise<string> {
    const [row] = await this.sql.query<{ reference_id: string }>(
      `UPDATE dollr_payout_rows SET reference_id = COALESCE(reference_id, $4), state = CASE WHEN reference_id IS NULL THEN 'REFERENCED' ELSE state END,
         lease_until = ${NOW_MS} + $5, updated_at = ${NOW_MS}
       WHERE batch = $1 AND row_id = $2 AND lease_owner = $3 RETURNING reference_id`,
      [this.batch, rowId, owner, referenceId, leaseMs],
    );
    if (!row) throw new LeaseLostError(rowId);
    return row.reference_id;
  }

  /** Keeps the leases of the rows this worker holds; returns how many it still holds. */
  async renew(owner: string, rowIds: string[], leaseMs: number): Promise<number> {
    if (rowIds.length === 0) return 0;
    const rows = await this.sql.query(
      `UPDATE dollr_payout_rows SET lease_until = ${NOW_MS} + $3 WHERE batch = $1 AND lease_owner = $2 AND row_id = ANY($4::text[]) RETURNING row_id`,
      [this.batch, owner, leaseMs, rowIds],
    );
    await this.sql.query(
      `UPDATE dollr_payout_recipients SET lease_until = ${NOW_MS} + $3 WHERE batch = $1 AND starts_with(lease_owner, $2 || '#') AND account_id IS NULL`,
      [this.batch, owner, leaseMs],
    );
    return rows.length;
  }

  /** Gives back every lease of `owner` (on a clean stop). */
  async releaseAll(owner: string): Promise<void> {
    await this.sql.query('UPDATE dollr_payout_rows SET lease_owner = NULL, lease_until = NULL WHERE batch = $1 AND lease_owner = $2', [this.batch, owner]);
    await this.sql.query("UPDATE dollr_payout_recipients SET lease_owner = NULL, lease_until = NULL WHERE batch = $1 AND starts_with(lease_owner, $2 || '#')", [this.batch, owner]);
  }

  /** With the embedded store only one process works a batch: leases left by a dead one are void. */
  async releaseStale(): Promise<void> {
    await this.sql.query('UPDATE dollr_payout_rows SET lease_owner = NULL, lease_until = NULL WHERE batch = $1 AND lease_owner IS NOT NULL', [this.batch]);
    await this.sql.query('UPDATE dollr_payout_recipients SET lease_owner = NULL, lease_until = NULL WHERE batch = $1', [this.batch]);
  }

  /**
   * The recipient of a phone: its account id if created; `mine` (with the party id if one was
   * recorded) when this worker is to create it; `refused` with Dollr's message; else `wait`.
   * `owner` here names one worker of a process (`<process owner>#<row id>`), so two workers of
   * one process never both create it; `renew` and `releaseAll` take the process owner.
   */
  async recipient(owner: string, phone: string, leaseMs: number): Promise<{ accountId: string } | { mine: true; partyId: string | null } | { refused: string } | { wait: true }> {
    await this.sql.query('INSERT INTO dollr_payout_recipients (batch, phone) VALUES ($1, $2) ON CONFLICT DO NOTHING', [this.batch, phone]);
    const [mine] = await this.sql.query<{ party_id: string | null }>(
      `UPDATE dollr_payout_recipients SET lease_owner = $3, lease_until = ${NOW_MS} + $4
       WHERE batch = $1 AND phone = $2 AND account_id IS NULL AND message IS NULL
         AND (lease_owner IS NULL OR lease_owner = $3 OR lease_until < ${NOW_MS})
       RETURNING party_id`,
      [this.batch, phone, owner, leaseMs],
    );
    if (mine) return { mine: true, partyId: mine.party_id };
    const [row] = await this.sql.query<{ account_id: string | null; message: string | null }>(
      'SELECT account_id, message FROM dollr_payout_recipients WHERE batch = $1 AND phone = $2',
      [this.batch, phone],
    );
    if (row?.account_id) return { accountId: row.account_id };
    if (row?.message) return { refused: row.message };
    return { wait: true };
  }

  async recordRecipient(owner: string, phone: string, fields: { partyId?: string; accountId?: string; message?: string }): Promise<void> {
    await this.sql.query(
      `UPDATE dollr_payout_recipients SET party_id = COALESCE($4, party_id), account_id = COALESCE($5, account_id), message = COALESCE($6, message),
         lease_owner = CASE WHEN $5::text IS NULL AND $6::text IS NULL THEN lease_owner END
       WHERE batch = $1 AND phone = $2 AND lease_owner = $3`,
      [this.batch, phone, owner, fields.partyId ?? null, fields.accountId ?? null, fields.message ?? null],
    );
  }

  /** Every row, in file order. */
  async rows(): Promise<StoredRow[]> {
    return (await this.sql.query('SELECT * FROM dollr_payout_rows WHERE batch = $1 ORDER BY line', [this.batch])).map(toStored);
  }

  /** Rows per state (every state present, zero included). */
  async counts(): Promise<Record<RowState, number>> {
    const rows = await this.sql.query<{ state: RowState; n: number }>('SELECT state, count(*)::int AS n FROM dollr_payout_rows WHERE batch = $1 GROUP BY state', [this.batch]);
    const counts = Object.fromEntries(['NEW', 'REFERENCED', 'SESSION', 'SENT', 'PROCESSING', ...END_STATES].map((s) => [s, 0])) as Record<RowState, number>;
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  }

  /** Rows not in an end state for this run (NEEDS_REVIEW marked since `since` counts as ended). */
  async open(since: number): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dollr_payout_rows WHERE batch = $1 AND state NOT IN (${FINAL_LIST}) AND NOT (state = 'NEEDS_REVIEW' AND updated_at >= $2)`,
      [this.batch, since],
    );
    return Number(row!.n);
  }
}
