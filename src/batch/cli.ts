#!/usr/bin/env node
/**
 * `npx dollr-payouts check|run|status|report <file.csv>`: a thin layer over the library
 * (runner.ts). It decides nothing about money: it reads the file, asks for confirmation, and
 * prints. Exit status: 0 when the command did its job (for `run`: every row final and none needs
 * review), 1 when rows are bad or not all final, 2 for usage errors and refusals.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { jsonProgress, ttyProgress } from './progress.js';
import { formatProblem, readBatchCsv } from './rows.js';
import type { PayoutRow } from './rows.js';
import { batchReport, batchStatus, runBatch } from './runner.js';
import type { RunSummary } from './runner.js';
import { DEFAULT_DB } from './sql.js';
import { exceeds, totalsByCurrency } from './totals.js';

const HELP = `Usage: dollr-payouts <command> <file.csv> [options]

Commands:
  check <file>    validate only: every bad row with its line number; sends nothing
  run <file>      pay every row (resumes a batch that has state)
  status <file>   rows per state
  report <file>   CSV to stdout: row_id,reference_id,status,amount,currency,provider_transaction_id,message

Options:
  --db <dir|url>        embedded store directory (default ${DEFAULT_DB}) or a postgres:// URL (a fleet)
  --batch <name>        batch name shared by workers (default: the file's base name)
  --concurrency <n>     rows worked at once by this process (default 8)
  --yes                 do not ask for confirmation (required without a terminal)
  --json                one JSON line per row state change, and a summary line
  --max-total <amount>  refuse a batch whose total in any one currency exceeds it
  --lease-ms <n>        row lease, at most 30000 (default 30000)
  --poll-ms <n>         delay between status lookups of a processing payout (default 3000)
  --max-wait-ms <n>     how long a payout may stay unknown or processing before NEEDS_REVIEW (default 600000)
  -h, --help

Environment: DOLLR_BASE_URL (default https://api.heydollr.app), DOLLR_CLIENT_ID, DOLLR_CLIENT_SECRET,
DOLLR_PASSCODE, DOLLR_PHONE (the merchant's), DOLLR_CLIENT_IP (the device block; default 127.0.0.1).`;

class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

function readRows(file: string): { rows: PayoutRow[]; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const { rows, problems } = readBatchCsv(text);
  return { rows, problems: problems.map(formatProblem) };
}

function printTotals(rows: PayoutRow[]): void {
  for (const [currency, { total, rows: n }] of Object.entries(totalsByCurrency(rows))) {
    console.error(`  ${currency} ${total} in ${n} row(s)`);
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function printSummary(summary: RunSummary): void {
  const counts = Object.entries(summary.counts).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ');
  console.error(`batch ${summary.batch}: ${summary.total} rows: ${counts}`);
  if (summary.needsReview.length > 0) console.error(`NEEDS_REVIEW (outcome unknown; rerun to look them up again): ${summary.needsReview.join(', ')}`);
  if (summary.rejected.length > 0) console.error(`REJECTED (refused by Dollr; see report): ${summary.rejected.join(', ')}`);
}

function credentials(): { baseUrl?: string; clientId: string; clientSecret: string; code: string; phone: string; clientIp?: string } {
  const env = process.env;
  const missing = ['DOLLR_CLIENT_ID', 'DOLLR_CLIENT_SECRET', 'DOLLR_PASSCODE', 'DOLLR_PHONE'].filter((name) => !env[name]);
  if (missing.length > 0) throw new UsageError(`set ${missing.join(', ')} in the environment`);
  return {
    ...(env.DOLLR_BASE_URL ? { baseUrl: env.DOLLR_BASE_URL } : {}),
    clientId: env.DOLLR_CLIENT_ID!,
    clientSecret: env.DOLLR_CLIENT_SECRET!,
    code: env.DOLLR_PASSCODE!,
    phone: env.DOLLR_PHONE!,
    ...(env.DOLLR_CLIENT_IP ? { clientIp: env.DOLLR_CLIENT_IP } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      yes: { type: 'boolean' },
      json: { type: 'boolean' },
      'max-total': { type: 'string' },
      'lease-ms': { type: 'string' },
      'poll-ms': { type: 'string' },
      'max-wait-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (!command || !['check', 'run', 'status', 'report'].includes(command) || !file || extra.length > 0) throw new UsageError(HELP);
  const db = values.db ?? DEFAULT_DB;
  const batch = values.batch ?? basename(file, extname(file));
  if (batch.trim() === '') throw new UsageError('--batch must not be empty');

  if (command === 'status' || command === 'report') {
    if (command === 'report') {
      process.stdout.write(await batchReport(db, batch));
      return 0;
    }
    const summary = await batchStatus(db, batch);
    for (const [state, n] of Object.entries(summary.counts)) console.log(`${state.padEnd(13)} ${n}`);
    if (summary.needsReview.length > 0) console.log(`needs review: ${summary.needsReview.join(', ')}`);
    if (summary.rejected.length > 0) console.log(`rejected: ${summary.rejected.join(', ')}`);
    return 0;
  }

  const { rows, problems } = readRows(file);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    console.error(`${file}: ${problems.length} problem(s); nothing was sent`);
    return 1;
  }
  if (command === 'check') {
    console.log(`${file}: ${rows.length} rows OK`);
    for (const [currency, { total, rows: n }] of Object.entries(totalsByCurrency(rows))) console.log(`  ${currency} ${total} in ${n} row(s)`);
    return 0;
  }

  // run
  const maxTotal = values['max-total'];
  if (maxTotal !== undefined && !/^\d+(\.\d+)?$/.test(maxTotal)) throw new UsageError('--max-total must be a non-negative decimal amount');
  const env = credentials();
  console.error(`batch ${batch}: ${rows.length} rows`);
  printTotals(rows);
  if (maxTotal !== undefined) {
    const over = Object.entries(totalsByCurrency(rows)).filter(([, t]) => exceeds(t.total, maxTotal));
    if (over.length > 0) {
      console.error(`refused: the total exceeds --max-total ${maxTotal} in ${over.map(([c, t]) => `${c} (${t.total})`).join(', ')}`);
      return 2;
    }
  }
  if (!values.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      console.error('refused: no terminal to confirm on; pass --yes to pay without confirmation');
      return 2;
    }
    if (!(await confirm(`Pay these ${rows.length} rows? [y/N] `))) {
      console.error('not confirmed; nothing was sent');
      return 2;
    }
  }
  const progress = values.json || !process.stderr.isTTY ? jsonProgress(process.stdout) : ttyProgress(process.stderr);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const summary = await runBatch({
    batch,
    rows,
    db,
    ...(env.baseUrl ? { baseUrl: env.baseUrl } : {}),
    auth: { clientId: env.clientId, clientSecret: env.clientSecret },
    passcode: { code: env.code, phone: env.phone, ...(env.clientIp ? { clientIp: env.clientIp } : {}) },
    concurrency: positiveInt(values.concurrency, '--concurrency', 8),
    ...(values['lease-ms'] ? { leaseMs: positiveInt(values['lease-ms'], '--lease-ms', 30_000) } : {}),
    ...(values['poll-ms'] ? { pollIntervalMs: positiveInt(values['poll-ms'], '--poll-ms', 3_000) } : {}),
    ...(values['max-wait-ms'] ? { maxWaitMs: positiveInt(values['max-wait-ms'], '--max-wait-ms', 600_000) } : {}),
    onStart: (loaded) => progress.start(loaded),
    onEvent: (event) => progress.event(event),
    signal: controller.signal,
  });
  progress.finish(summary);
  printSummary(summary);
  if (controller.signal.aborted) return 130;
  return summary.ok ? 0 : 1;
}

// Until main() settles, the exit status says "not done": a run whose work never finished must not exit 0.
process.exitCode = 1;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) console.error(error.message);
    else console.error(`dollr-payouts: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exitCode = error instanceof UsageError || (error as Error)?.name === 'ChangedRowsError' ? 2 : 1;
  },
);
