/**
 * `dollr-payouts run/status/report` around the runner: refusals before anything is sent (no
 * terminal without --yes, --max-total, a changed row on a rerun), a small run end to end with its
 * JSON lines and report, and the progress line that never wraps.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine } from '../../src/batch/progress.js';
import type { RowState } from '../../src/batch/machine.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { runCli, sandboxEnv, tempDir } from './helpers.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 100 });
});
afterAll(() => sandbox.close());

const HEADER = 'row_id,amount,currency,payout_account_id,phone,name,provider,note';
const rows = ['a,10.25,USD,,231770000011,Ann,,', 'b,5,USD,,+231 77 000 0011,Ann,,', 'c,7,LRD,,231550000012,Bo,,', 'd,1,GHS,,231770000013,Cy,MTN_MOMO_LBR,'];

describe('dollr-payouts run', () => {
  it('refuses without a terminal and without --yes, and over --max-total, sending nothing', async () => {
    const dir = tempDir('dollr-cli-');
    const file = join(dir, 'wages.csv');
    writeFileSync(file, [HEADER, ...rows].join('\n'));
    const env = sandboxEnv(sandbox);
    const before = sandbox.requests().length;
    const noTty = await runCli(['run', file, '--db', join(dir, 'db')], env);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('pass --yes');
    expect(noTty.stderr).toContain('USD 15.25 in 2 row(s)');
    const over = await runCli(['run', file, '--db', join(dir, 'db'), '--yes', '--max-total', '15'], env);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('exceeds --max-total 15 in USD (15.25)');
    expect(sandbox.requests().length).toBe(before);
  }, 60_000);

  it('pays a small batch: one party and account per phone, JSON lines, report, and refuses a changed rerun', async () => {
    const dir = tempDir('dollr-cli-');
    const file = join(dir, 'wages.csv');
    writeFileSync(file, [HEADER, ...rows].join('\n'));
    const env = sandboxEnv(sandbox);
    const db = join(dir, 'db');
    const start = sandbox.requests().length;
    const run = await runCli(['run', file, '--db', db, '--yes', '--poll-ms', '50'], env);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { row_id?: string; state?: string; summary?: boolean; ok?: boolean });
    expect(lines.at(-1)).toMatchObject({ summary: true, ok: true, total: 4 });
    expect(lines.filter((l) => l.state === 'COMPLETED').map((l) => l.row_id).sort()).toEqual(['a', 'b', 'c', 'd']);
    // Every state change names its row and, from REFERENCED on, the reference id it is sent with.
    const referenceOf = new Map(lines.filter((l) => l.state === 'REFERENCED').map((l) => [l.row_id, (l as { reference_id?: string }).reference_id]));
    expect(referenceOf.size).toBe(4);
    for (const line of lines.filter((l) => l.state !== undefined)) expect((line as { reference_id?: string }).reference_id).toBe(referenceOf.get(line.row_id!));
    const requests = sandbox.requests().slice(start);
    // Rows a and b share a phone: three parties and accounts for four rows.
    expect(requests.filter((r) => r.operation?.endsWith('/parties/create'))).toHaveLength(3);
    expect(requests.filter((r) => r.operation?.endsWith('/payment-accounts/create'))).toHaveLength(3);
    // Provider detected for the rows without one (c's phone is Orange in the sandbox).
    expect(requests.filter((r) => r.operation?.endsWith('/mmo-provider-info'))).toHaveLength(2);
    expect(requests.filter((r) => r.operation?.endsWith('/executions/payout'))).toHaveLength(4);

    const report = await runCli(['report', file, '--db', db], env);
    expect(report.code).toBe(0);
    const [header, ...body] = report.stdout.trim().split('\n');
    expect(header).toBe('row_id,reference_id,status,amount,currency,provider_transaction_id,message');
    expect(body.map((l) => l.split(',').slice(0, 5).filter((_, i) => i !== 1))).toEqual([
      ['a', 'COMPLETED', '10.25', 'USD'],
      ['b', 'COMPLETED', '5', 'USD'],
      ['c', 'COMPLETED', '7', 'LRD'],
      ['d', 'COMPLETED', '1', 'GHS'],
    ]);
    const status = await runCli(['status', file, '--db', db], env);
    expect(status.stdout).toMatch(/COMPLETED\s+4/);

    // A rerun of the same file sends nothing; one with a changed amount and recipient is refused naming them.
    const again = await runCli(['run', file, '--db', db, '--yes'], env);
    expect(again.code).toBe(0);
    expect(sandbox.requests().slice(start).filter((r) => r.operation?.endsWith('/executions/payout'))).toHaveLength(4);
    writeFileSync(file, [HEADER, rows[0]!.replace('10.25', '10.26'), rows[1], rows[2]!.replace('231550000012', '231550000099'), rows[3]].join('\n'));
    const changed = await runCli(['run', file, '--db', db, '--yes'], env);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('changed amount, currency or recipient');
    expect(changed.stderr).toContain('a, c');
  }, 90_000);
});

describe('progress line', () => {
  const counts = new Map<RowState, number>([['COMPLETED', 40], ['FAILED', 2], ['NEEDS_REVIEW', 1], ['SENT', 5], ['NEW', 52]]);
  it('shows done of total, counts per state, rate and time left', () => {
    const line = progressLine(counts, 100, 10_000, 43, 200);
    expect(line).toBe('[#########...........] 43/100 ok 40 failed 2 review 1 sent 5 | 4.3/s | left 13s');
  });
  it('never exceeds the terminal width, so redrawing it never scrolls', () => {
    for (const width of [20, 40, 80]) expect(progressLine(counts, 100, 10_000, 43, width).length).toBeLessThan(width);
  });
});
