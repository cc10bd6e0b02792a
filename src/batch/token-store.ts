/**
 * A TokenStore (see core/token-store.ts) over the batch's SQL (Postgres, or PGlite when the
 * token request does not itself use that PGlite, whose transactions are exclusive): every
 * client sharing the database shares one access token. Refresh is a single flight across
 * processes and machines: the one that finds no fresh token takes a transaction-level advisory
 * lock, looks again (someone may have just stored one), and only then asks the token endpoint.
 * Also the fleet's shared pause: a 429 Retry-After seen by one worker holds back all of them.
 */
import type { SharedToken, TokenStore } from '../core/token-store.js';
import { NOW_MS } from './sql.js';
import type { Queryable, Sql } from './sql.js';
import { migrate } from './schema.js';

// Epoch ms may be Infinity (no lifetime given): float8 holds it, JSON does not, so it travels as SQL.
async function read(q: Queryable, key: string): Promise<SharedToken | undefined> {
  const [row] = await q.query<{ value: string | null; expires_at: number; refresh_at: number }>(
    'SELECT value, expires_at, refresh_at FROM dollr_shared WHERE key = $1',
    [key],
  );
  if (!row || row.value === null) return undefined;
  return { value: row.value, expiresAt: Number(row.expires_at), refreshAt: Number(row.refresh_at) };
}

/** Options of `sqlTokenStore`. */
export interface SqlTokenStoreOptions {
  /** Which token: one per API and client id, so two merchants in one database never mix. Default `default`. */
  key?: string;
}

/** A TokenStore kept in a database, with a count of the tokens it stored. */
export interface SqlTokenStore extends TokenStore {
  /** How many tokens were stored under this key (one per token request that succeeded). */
  writes(): Promise<number>;
}

/**
 * A TokenStore in the database (table `dollr_shared`, created if missing): pass it as
 * `createDollrClient({ tokenStore })` in every process that should share one token. The token is
 * stored in clear: protect the table as you protect the client secret.
 */
export async function sqlTokenStore(sql: Sql, options: SqlTokenStoreOptions = {}): Promise<SqlTokenStore> {
  await migrate(sql);
  const key = `token:${options.key ?? 'default'}`;
  const usable = (token: SharedToken | undefined, stale: string | undefined): token is SharedToken =>
    token !== undefined && token.value !== stale && Date.now() < token.refreshAt;
  return {
    async refresh(obtain, stale) {
      const current = await read(sql, key);
      if (usable(current, stale)) return current;
      return sql.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
        const again = await read(tx, key);
        if (usable(again, stale)) return again;
        const token = await obtain();
        await tx.query(
          `INSERT INTO dollr_shared (key, value, expires_at, refresh_at, writes) VALUES ($1, $2, $3::float8, $4::float8, 1)
           ON CONFLICT (key) DO UPDATE SET value = $2, expires_at = $3::float8, refresh_at = $4::float8, writes = dollr_shared.writes + 1`,
          [key, token.value, String(token.expiresAt), String(token.refreshAt)],
        );
        return token;
      });
    },
    async writes() {
      const [row] = await sql.query<{ writes: number }>('SELECT writes FROM dollr_shared WHERE key = $1', [key]);
      return Number(row?.writes ?? 0);
    },
  };
}

/** A pause shared through the database; reads are cached for `checkEveryMs` so workers do not hammer it. */
export interface SharedPause {
  /** Resolves when no pause is in force. */
  wait(): Promise<void>;
  /** Pauses everyone for `ms` from now (a later pause never shortens an earlier one). */
  pauseFor(ms: number): Promise<void>;
}

export function sharedPause(sql: Sql, name: string, checkEveryMs = 250): SharedPause {
  const key = `pause:${name}`;
  let until = 0; // local clock
  let checkedAt = 0;
  let checking: Promise<void> | undefined;
  async function check(): Promise<void> {
    const [row] = await sql.query<{ left: number }>(`SELECT GREATEST(0, refresh_at - ${NOW_MS}) AS left FROM dollr_shared WHERE key = $1`, [key]);
    until = Math.max(until, Date.now() + Number(row?.left ?? 0));
    checkedAt = Date.now();
  }
  return {
    async wait() {
      for (;;) {
        if (Date.now() - checkedAt >= checkEveryMs) {
          checking ??= check().finally(() => (checking = undefined));
          await checking.catch(() => undefined);
        }
        const left = until - Date.now();
        if (left <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(left, 1_000)));
      }
    },
    async pauseFor(ms) {
      until = Math.max(until, Date.now() + ms);
      await sql.query(
        `INSERT INTO dollr_shared (key, refresh_at) VALUES ($1, ${NOW_MS} + $2)
         ON CONFLICT (key) DO UPDATE SET refresh_at = GREATEST(dollr_shared.refresh_at, EXCLUDED.refresh_at)`,
        [key, ms],
      );
    },
  };
}

/** The same pause for one process only. */
export function localPause(): SharedPause {
  let until = 0;
  return {
    async wait() {
      for (let left = until - Date.now(); left > 0; left = until - Date.now()) await new Promise((resolve) => setTimeout(resolve, Math.min(left, 1_000)));
    },
    async pauseFor(ms) {
      until = Math.max(until, Date.now() + ms);
    },
  };
}
