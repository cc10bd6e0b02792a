/**
 * One SQL dialect, two engines: a `postgres://` URL opens a real server through `pg` (a fleet
 * shares it); anything else is a directory for embedded PGlite (one machine, one process at a
 * time, guarded by a lock file). Both are optional peers, loaded only when used. Every write the
 * batch makes is one statement or one transaction, so a failed write leaves the previous state.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Something that runs one SQL statement: the database, or a transaction. */
export interface Queryable {
  /** Runs `text` with `$1`-style `params` and resolves to its rows. */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

/** An open database: Postgres through `pg`, or embedded PGlite. Close it when done. */
export interface Sql extends Queryable {
  /** Runs `fn` in one transaction on one connection: all of it is committed, or none. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** What it is, for messages: `postgres` or `pglite`. */
  readonly engine: 'postgres' | 'pglite';
  /** Closes the pool (or PGlite) and releases the embedded store's lock file. */
  close(): Promise<void>;
}

/** The CLI's default store: an embedded PGlite directory. */
export const DEFAULT_DB = './.dollr-payouts';

/** The database clock in epoch ms: leases and pauses use one clock for the whole fleet. */
export const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::float8';

export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/**
 * Opens `db`: a `postgres://` URL (needs the optional peer `pg`) or a directory for embedded
 * PGlite (needs `@electric-sql/pglite`; one process at a time).
 */
export async function openSql(
  db: string,
  options: {
    /** Connections in the Postgres pool. Default 10; ignored by PGlite. */
    poolSize?: number;
  } = {},
): Promise<Sql> {
  return isPostgresUrl(db) ? openPostgres(db, options.poolSize ?? 10) : openPglite(db);
}

async function importPeer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(`dollr-client/batch needs the optional peer dependency ${name}: npm install ${name}`);
    }
    throw error;
  }
}

async function openPostgres(url: string, max: number): Promise<Sql> {
  const pg = (await importPeer('pg', () => import('pg'))).default;
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client that loses its server must not crash the process: the next query fails instead.
  pool.on('error', () => undefined);
  return {
    engine: 'postgres',
    async query(text, params) {
      return (await pool.query(text, params)).rows;
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: async (text, params) => (await client.query(text, params)).rows });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

const LOCK_FILE = 'dollr-payouts.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PGlite is one process's database: a second process on the same directory is refused. */
function lockDirectory(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new Error(`${dir} is in use by process ${holder}: one process per embedded store (use a postgres:// URL for several workers)`);
      }
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new Error(`could not lock ${dir}`);
}

async function openPglite(dir: string): Promise<Sql> {
  const { PGlite } = await importPeer('@electric-sql/pglite', () => import('@electric-sql/pglite'));
  const unlock = lockDirectory(dir);
  let db;
  try {
    db = await PGlite.create(join(dir, 'pgdata'));
  } catch (error) {
    unlock();
    throw error;
  }
  const pglite = db;
  return {
    engine: 'pglite',
    async query(text, params) {
      return (await pglite.query(text, params)).rows as never;
    },
    transaction: (fn) => pglite.transaction((tx) => fn({ query: async (text, params) => (await tx.query(text, params)).rows as never })),
    async close() {
      await pglite.close();
      unlock();
    },
  };
}
