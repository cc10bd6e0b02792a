import { readBatchCsv } from '../../src/batch/index.js';
import { openBatch } from '../../src/batch/runner.js';
import { readFileSync, rmSync } from 'node:fs';
rmSync('/tmp/b18/db3', { recursive: true, force: true });
const { rows } = readBatchCsv(readFileSync('/tmp/b18/p.csv', 'utf8'));
const { sql, store } = await openBatch('/tmp/b18/db3', 'p', rows);
const since = await store.now();
console.log('since', since, typeof since);
await Promise.all(Array.from({ length: 8 }, async (_, i) => {
  const got = await store.claim('me', 1, 30000, since);
  console.log(i, 'claimed', got.map((r) => r.rowId));
  if (got[0]) { const ref = await store.setReferenceId('me', got[0].rowId, crypto.randomUUID(), 30000); console.log(i, 'ref', ref); }
}));
console.log((await sql.query('select row_id, lease_owner, lease_until, state from dollr_payout_rows order by line limit 12')));
await sql.close();
