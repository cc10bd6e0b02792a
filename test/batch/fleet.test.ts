/**
 * A fleet: four `dollr-payouts run` processes on one batch in a real Postgres (started here),
 * one SIGKILLed mid-run, against the sandbox with the same hostile scenario as the crash test.
 * The survivors take over its rows when its leases expire. Then: every row final, exactly one
 * execution per row, equal reports; the whole fleet asked for a token no more often than the
 * token lifetimes elapsed plus one; a 429 seen by one worker paused all of them (a shared pause row).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSql } from '../../src/batch/sql.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { killAfterEvents, runCli, sandboxEnv, startCli, startPostgres, tempDir } from './helpers.js';
import type { TestPostgres } from './helpers.js';
import { accountsPerPhone, chaos, makeBatch, parseReport, runUntilDone } from './scenario.js';

const TOKEN_TTL_MINUTES = 0.25;

let sandbox: Sandbox;
let postgres: TestPostgres;
beforeAll(async () => {
  [sandbox, postgres] = await Promise.all([
    startSandbox({ settleAfterMs: 300, sessionTtlMs: 2_000, tokenTtlMinutes: TOKEN_TTL_MINUTES, maxRecords: 100_000 }),
    startPostgres(),
  ]);
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  await postgres?.stop();
});

it('four workers on Postgres, one killed: one execution per row, one token per lifetime, a shared pause', async () => {
  const dir = tempDir('dollr-fleet-');
  const file = join(dir, 'payroll.csv');
  const batch = await makeBatch(sandbox, 1_000);
  writeFileSync(file, batch.csv);
  const env = sandboxEnv(sandbox);
  const args = ['run', file, '--db', postgres.url, '--yes', '--json', '--concurrency', '16', '--poll-ms', '100', '--lease-ms', '3000'];
  const stopChaos = chaos(sandbox, batch.failingAccounts);
  let pauseInjected = false;
  const started = Date.now();
  try {
    const workers = Array.from({ length: 4 }, () => startCli(args, env));
    // Once the fleet is under way, one 429 with Retry-After: 2 on a status lookup.
    const pauseTimer = setInterval(() => {
      if (!pauseInjected && sandbox.executions().length > 300) {
        sandbox.inject({ method: 'GET', path: '/v1/status/payout/{reference_id}', fault: { status: 429, retryAfter: 2 } });
        pauseInjected = true;
      }
    }, 20);
    await killAfterEvents(workers[0]!, 100 + Math.floor(Math.random() * 400));
    const results = await Promise.all(workers.slice(1).map((w) => w.done));
    clearInterval(pauseTimer);
    // A survivor may end with rows whose outcome was still unknown; a rerun looks them up.
    for (const result of results) {
      if (result.code !== 0) {
        const again = await runUntilDone(() => runCli(args, env), 3);
        expect(again.code, again.stderr).toBe(0);
        break;
      }
    }
  } finally {
    stopChaos();
  }
  const elapsed = Date.now() - started;

  const first = await runCli(['report', file, '--db', postgres.url], env);
  const second = await runCli(['report', file, '--db', postgres.url], env);
  expect(first.code).toBe(0);
  expect(second.stdout).toBe(first.stdout);
  const report = parseReport(first.stdout);
  expect(report.map((r) => r.row_id)).toEqual(batch.rowIds);
  const executions = new Map(sandbox.executions().map((e) => [e.referenceId, e]));
  expect(executions.size).toBe(1_000);
  expect(new Set(report.map((r) => r.reference_id)).size).toBe(1_000);
  for (const row of report) {
    expect(executions.get(row.reference_id)?.status, row.row_id).toBe(row.status);
  }
  const referenceOf = new Map(report.map((r) => [r.row_id, r.reference_id]));
  const perPhone = accountsPerPhone(batch, (rowId) => executions.get(referenceOf.get(rowId)!)?.body.payout_account_id);
  expect(perPhone.size).toBe(75); // odd rows, i % 150: 75 distinct phones
  for (const [phone, accounts] of perPhone) expect(accounts.size, phone).toBe(1);
  expect(new Set(report.map((r) => r.status))).toEqual(new Set(['COMPLETED', 'FAILED']));

  const requests = sandbox.requests();
  const tokenRequests = requests.filter((r) => r.operation?.endsWith('/jwt/client/obtain/token'));
  const lifetimes = Math.ceil(elapsed / (TOKEN_TTL_MINUTES * 60_000));
  expect(tokenRequests.length).toBeGreaterThanOrEqual(1);
  expect(tokenRequests.length).toBeLessThanOrEqual(lifetimes + 1);

  // The 429 paused the fleet: the pause was shared through the database (ending about Retry-After
  // after the 429), and the fleet's request rate dropped while it lasted. (Requests already past
  // the pause check when it was set still arrive; a loaded machine delays them, so compare rates.)
  expect(pauseInjected).toBe(true);
  const limited = requests.find((r) => r.status === 429);
  expect(limited).toBeDefined();
  const at = Date.parse(limited!.time);
  const sql = await openSql(postgres.url, { poolSize: 1 });
  try {
    const [pause] = await sql.query<{ until: number }>("SELECT refresh_at AS until FROM dollr_shared WHERE key LIKE 'pause:%'");
    expect(Number(pause?.until)).toBeGreaterThanOrEqual(at + 1_900);
    expect(Number(pause?.until)).toBeLessThan(at + 6_000);
  } finally {
    await sql.close();
  }
  const count = (from: number, to: number) => requests.filter((r) => r.operation !== null && Date.parse(r.time) >= from && Date.parse(r.time) < to).length;
  const before = count(at - 1_300, at);
  const during = count(at + 700, at + 2_000);
  expect(before).toBeGreaterThan(0);
  expect(during).toBeLessThanOrEqual(before / 2);
}, 240_000);
