/** Row validation (pure) and `dollr-payouts check`: every bad row with its line, nothing sent. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, readBatchCsv } from '../../src/batch/rows.js';
import { parseCsv } from '../../src/batch/csv.js';
import { exceeds, totalsByCurrency } from '../../src/batch/totals.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { runCli, sandboxEnv, tempDir } from './helpers.js';

const HEADER = 'row_id,amount,currency,payout_account_id,phone,name,provider,note';

describe('CSV', () => {
  it('keeps the line each record starts on, through quoted newlines and CRLF', () => {
    const records = parseCsv('\ufeffa,b\r\n"x\ny",2\r\n\r\n"q""uote",3\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x\ny', '2'] },
      { line: 5, fields: ['q"uote', '3'] },
    ]);
  });

  it('reports an unclosed quote with its line', () => {
    expect(readBatchCsv(`${HEADER}\nr1,1,USD,5,,,,\n"r2,1,USD,5,,,,\n`).problems.map(formatProblem)).toEqual(['line 3: a quoted field is not closed']);
  });
});

describe('rows', () => {
  it('accepts account rows and phone rows, normalising the phone', () => {
    const { rows, problems } = readBatchCsv(`${HEADER}\nr1,10.50,USD,42,,,,salary\nr2,3,LRD,,+231 77 123 4567,Jane Doe,MTN_MOMO_LBR,\n`);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { rowId: 'r1', amount: '10.50', currency: 'USD', recipient: { payoutAccountId: '42' }, note: 'salary', line: 2 },
      { rowId: 'r2', amount: '3', currency: 'LRD', recipient: { phone: '231771234567', name: 'Jane Doe', provider: 'MTN_MOMO_LBR' }, line: 3 },
    ]);
  });

  it('refuses a header without the required columns or with unknown ones', () => {
    expect(readBatchCsv('id,amount\n1,2\n').problems.map(formatProblem)).toEqual([
      'line 1: the header has no row_id column',
      'line 1: the header has no currency column',
      'line 1: unknown column(s) id; expected row_id, amount, currency, payout_account_id, phone, name, provider, note',
    ]);
  });

  it('adds decimal totals exactly, per currency', () => {
    expect(totalsByCurrency([{ amount: '0.1', currency: 'USD' }, { amount: '0.2', currency: 'USD' }, { amount: '7', currency: 'LRD' }])).toEqual({
      LRD: { total: '7', rows: 1 },
      USD: { total: '0.3', rows: 2 },
    });
    expect(exceeds('1000.01', '1000')).toBe(true);
    expect(exceeds('1000.00', '1000')).toBe(false);
  });
});

// A dozen kinds of bad rows, each on a known line.
const BAD = [
  HEADER, //                                              1
  'ok1,10,USD,42,,,,', //                                 2 fine
  ',10,USD,42,,,,', //                                    3 missing row_id
  'ok1,5,USD,43,,,,', //                                  4 duplicate row_id
  'r4,-5,USD,42,,,,', //                                  5 negative amount
  'r5,abc,USD,42,,,,', //                                 6 non-numeric amount
  'r6,0.00,USD,42,,,,', //                                7 zero amount
  'r7,10,usd,42,,,,', //                                  8 lower-case currency
  'r8,10,XYZ,42,,,,', //                                  9 not ISO 4217
  'r9,10,USD,,12-34,Jane,,', //                           10 bad phone
  'r10,10,USD,,2317712345678901,Jane,,', //               11 phone too long
  'r11,10,USD,,231771234567,,,', //                       12 phone without name
  'r12,10,USD,,,,,', //                                   13 no recipient
  'r13,10,USD,42,231771234567,Jane,,', //                 14 both recipients
  'r14,10,USD,42,,', //                                   15 wrong field count
  'r15,,USD,42,,,,', //                                   16 missing amount
];

describe('dollr-payouts check', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ settleAfterMs: 0 });
  });
  afterAll(() => sandbox.close());

  it('lists every bad row with its line, exits non-zero, and sends nothing', async () => {
    const dir = tempDir('dollr-check-');
    const file = join(dir, 'bad.csv');
    writeFileSync(file, `${BAD.join('\n')}\n`);
    const expected = [
      'line 3: row_id is missing',
      'line 4: row_id "ok1" is a duplicate of line 2',
      'line 5: amount "-5" is not a decimal number',
      'line 6: amount "abc" is not a decimal number',
      'line 7: amount "0.00" is not positive',
      'line 8: currency "usd" is not three upper-case letters of ISO 4217',
      'line 9: currency "XYZ" is not an ISO 4217 code',
      'line 10: phone "12-34" is not 8 to 15 digits (a leading + and spaces allowed)',
      'line 11: phone "2317712345678901" is not 8 to 15 digits (a leading + and spaces allowed)',
      'line 12: name is missing (a phone row needs phone and name)',
      'line 13: no recipient: give payout_account_id, or phone and name',
      'line 14: give payout_account_id or phone, not both',
      'line 15: 6 fields, the header has 8',
      'line 16: amount is missing',
    ];
    expect(readBatchCsv(BAD.join('\n')).problems.map(formatProblem)).toEqual(expected);

    const env = sandboxEnv(sandbox);
    const check = await runCli(['check', file], env);
    expect(check.code).toBe(1);
    expect(check.stderr.split('\n').filter((l) => l.startsWith('line '))).toEqual(expected);
    // run refuses the same file before anything is sent or stored.
    const run = await runCli(['run', file, '--db', join(dir, 'db'), '--yes', '--json'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('nothing was sent');
    expect(sandbox.executions()).toEqual([]);
    // Not even a token request reached the API.
    expect(sandbox.requests().filter((r) => r.operation !== null)).toEqual([]);
  }, 60_000);
});
