/**
 * `npm run test:runtimes`: runs test/runtimes/smoke.mjs against the built main entry on the
 * Node running this script, the pinned Node 22 and 24, Bun and Deno (installed from the npm
 * registry into .cache/runtimes/ by install.ts), and on Deno once more with Node's globals
 * removed (what an edge runtime offers). For each runtime it starts a fresh scripted server
 * (server.ts) on 127.0.0.1 here, in Node; the runtime under test only runs the client.
 *
 * Prints a table (runtime, version, checks passed / total, time, notes) and exits 1 if any
 * runtime failed a check, reported another version than pinned, crashed, timed out, or could
 * not be installed (an environment fault, never a pass).
 *
 *   --only node,deno      run only these rows (ids: node, node22, node24, bun, deno, deno-web)
 *   --entry <path>        test another copy of the main entry (default dist/index.js)
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exec, killAll, tail } from './exec.js';
import { CACHE_DIR, ROOT, ensureRuntime, type Installed } from './install.js';
import { PINS } from './pins.js';
import { refusedUrl, startSmokeServer, type SmokeSecrets } from './server.js';

const SMOKE = join(ROOT, 'test', 'runtimes', 'smoke.mjs');
const RUN_TIMEOUT_MS = 90_000;
const TESTING_NEEDS_NODE = 'dollr-client/testing: not run, needs Node';

interface Row {
  id: string;
  label: string;
  /** Pinned id in PINS, or undefined for the Node running this script. */
  pin?: string;
  expectedVersion: string;
  command: (bin: string) => { cmd: string; args: string[]; env: NodeJS.ProcessEnv };
  notes: string[];
  nodeTesting: boolean;
}

interface Outcome {
  row: Row;
  version: string;
  passed: number;
  total: number;
  ms: number;
  ok: boolean;
  problems: string[];
}

function parseArgs(argv: string[]): { only?: string[]; entry?: string } {
  const options: { only?: string[]; entry?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--only') options.only = value().split(',').filter(Boolean);
    else if (arg === '--entry') options.entry = resolve(value());
    else throw new Error(`unknown argument ${arg} (use --only ids, --entry path)`);
  }
  return options;
}

const pin = (id: string) => PINS.find((p) => p.id === id)!;
const smokeEnvNames = [
  'DOLLR_SMOKE_URL',
  'DOLLR_SMOKE_REFUSED_URL',
  'DOLLR_SMOKE_TOKEN',
  'DOLLR_SMOKE_CLIENT_ID',
  'DOLLR_SMOKE_CLIENT_SECRET',
  'DOLLR_SMOKE_PASSCODE',
  'DOLLR_SMOKE_ENTRY',
  'DOLLR_SMOKE_TESTING',
  'DOLLR_SMOKE_WEB_ONLY',
];

function denoCommand(webOnly: boolean) {
  return (bin: string) => ({
    cmd: bin,
    args: [
      'run',
      '--no-prompt',
      '--allow-net=127.0.0.1',
      // Only the smoke's own variables: a library that read any other one would fail here.
      `--allow-env=${smokeEnvNames.join(',')}`,
      `--allow-read=${ROOT}`,
      SMOKE,
    ],
    env: {
      DENO_DIR: join(CACHE_DIR, 'deno-dir'),
      DENO_NO_UPDATE_CHECK: '1',
      DENO_NO_PROMPT: '1',
      ...(webOnly ? { DOLLR_SMOKE_WEB_ONLY: '1' } : {}),
    },
  });
}

const nodeCommand = (bin: string) => ({ cmd: bin, args: [SMOKE], env: {} });

const ROWS: Row[] = [
  {
    id: 'node',
    label: 'Node (host)',
    expectedVersion: process.versions.node,
    command: () => nodeCommand(process.execPath),
    notes: [],
    nodeTesting: true,
  },
  { id: 'node22', label: 'Node 22', pin: 'node22', expectedVersion: pin('node22').version, command: nodeCommand, notes: [], nodeTesting: true },
  { id: 'node24', label: 'Node 24', pin: 'node24', expectedVersion: pin('node24').version, command: nodeCommand, notes: [], nodeTesting: true },
  {
    id: 'bun',
    label: 'Bun',
    pin: 'bun',
    expectedVersion: pin('bun').version,
    command: (bin) => ({ cmd: bin, args: ['--no-install', SMOKE], env: { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' } }),
    notes: [TESTING_NEEDS_NODE],
    nodeTesting: false,
  },
  { id: 'deno', label: 'Deno', pin: 'deno', expectedVersion: pin('deno').version, command: denoCommand(false), notes: [TESTING_NEEDS_NODE], nodeTesting: false },
  {
    id: 'deno-web',
    label: 'Deno, web globals only',
    pin: 'deno',
    expectedVersion: pin('deno').version,
    command: denoCommand(true),
    notes: ['Node globals deleted before import (edge-like)', TESTING_NEEDS_NODE],
    nodeTesting: false,
  },
];

async function runRow(row: Row, bin: string, entry: string): Promise<Outcome> {
  const secrets: SmokeSecrets = {
    token: `smoke-token-${randomBytes(12).toString('hex')}`,
    clientId: 'smoke-client',
    clientSecret: `smoke-secret-${randomBytes(12).toString('hex')}`,
    passcodeCode: `smoke-code-${randomBytes(6).toString('hex')}`,
  };
  const server = await startSmokeServer(secrets);
  const problems: string[] = [];
  let version = '?';
  let passed = 0;
  let total = 0;
  try {
    const { cmd, args, env } = row.command(bin);
    const result = await exec(cmd, args, {
      cwd: ROOT,
      timeoutMs: RUN_TIMEOUT_MS,
      env: {
        ...env,
        DOLLR_SMOKE_URL: server.url,
        DOLLR_SMOKE_REFUSED_URL: await refusedUrl(),
        DOLLR_SMOKE_TOKEN: secrets.token,
        DOLLR_SMOKE_CLIENT_ID: secrets.clientId,
        DOLLR_SMOKE_CLIENT_SECRET: secrets.clientSecret,
        DOLLR_SMOKE_PASSCODE: secrets.passcodeCode,
        DOLLR_SMOKE_ENTRY: entry,
        ...(row.nodeTesting ? { DOLLR_SMOKE_TESTING: join(ROOT, 'dist', 'testing', 'index.js') } : {}),
      },
      onLine: (line) => {
        if (line.trim()) console.log(`  ${row.id.padEnd(8)} ${line}`);
        const runtime = /^# runtime: \S+ (\S+)/.exec(line);
        if (runtime) version = runtime[1]!;
        if (line.startsWith('ok - ')) passed++;
        if (line.startsWith('ok - ') || line.startsWith('not ok - ')) total++;
      },
    });
    if (result.spawnError) problems.push(`could not start ${cmd}: ${result.spawnError}`);
    else if (result.timedOut) problems.push(`killed after ${RUN_TIMEOUT_MS / 1000} s`);
    else if (result.code !== 0) problems.push(`exit ${result.code ?? result.signal}${result.stderr.trim() ? `: ${tail(result.stderr)}` : ''}`);
    if (version !== row.expectedVersion) problems.push(`reported version ${version}, expected ${row.expectedVersion}`);
    if (total === 0) problems.push('no check ran');
    if (passed < total) problems.push(`${total - passed} check(s) failed`);
    return { row, version, passed, total, ms: result.ms, ok: problems.length === 0, problems };
  } finally {
    await server.close();
  }
}

function table(outcomes: Outcome[], installs: Map<string, Installed>): string {
  const header = ['runtime', 'version', 'checks', 'time', 'result', 'binary', 'notes'];
  const lines = outcomes.map((o) => {
    const install = o.row.pin ? installs.get(o.row.pin) : undefined;
    const binary = !o.row.pin
      ? 'this process'
      : install?.ok
        ? install.source === 'cache'
          ? 'cached'
          : `npm, ${(install.ms / 1000).toFixed(1)} s`
        : 'NOT INSTALLED';
    return [
      o.row.label,
      o.version,
      o.total ? `${o.passed}/${o.total}` : '-',
      o.total ? `${(o.ms / 1000).toFixed(2)} s` : '-',
      o.ok ? 'pass' : 'FAIL',
      binary,
      [...o.problems, ...o.row.notes].join('; '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`.trimEnd();
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const rows = options.only ? ROWS.filter((row) => options.only!.includes(row.id)) : ROWS;
  const unknown = options.only?.filter((id) => !ROWS.some((row) => row.id === id)) ?? [];
  if (unknown.length || rows.length === 0) {
    console.error(`test:runtimes: unknown runtime ${unknown.join(', ')}; ids: ${ROWS.map((row) => row.id).join(', ')}`);
    return 2;
  }
  const entry = options.entry ?? join(ROOT, 'dist', 'index.js');
  if (!existsSync(entry)) {
    console.error(`test:runtimes: ${entry} does not exist; run npm run build first`);
    return 1;
  }
  const started = performance.now();

  // Installs run side by side (network-bound); the smoke runs go one at a time.
  const pinIds = [...new Set(rows.map((row) => row.pin).filter((id): id is string => id !== undefined))];
  const installs = new Map<string, Installed>();
  for (const result of await Promise.all(pinIds.map((id) => ensureRuntime(pin(id))))) {
    installs.set(result.pin.id, result);
    console.log(
      result.ok
        ? `# ${result.pin.label} ${result.version}: ${result.source === 'cache' ? 'cached' : 'installed from npm'} (${result.ms} ms)`
        : `# ${result.pin.label} ${result.pin.version}: NOT INSTALLED: ${result.reason}`,
    );
  }
  const installMs = performance.now() - started;

  const outcomes: Outcome[] = [];
  for (const row of rows) {
    const install = row.pin ? installs.get(row.pin) : undefined;
    if (install && !install.ok) {
      outcomes.push({
        row,
        version: '-',
        passed: 0,
        total: 0,
        ms: 0,
        ok: false,
        problems: [`environment fault, not installed: ${install.reason}`],
      });
      continue;
    }
    outcomes.push(await runRow(row, install?.ok ? install.bin : process.execPath, entry));
  }

  console.log(`\nRuntime matrix for ${entry.startsWith(ROOT) ? entry.slice(ROOT.length + (ROOT.endsWith('/') ? 0 : 1)) : entry}`);
  console.log(table(outcomes, installs));
  const failures = outcomes.filter((o) => !o.ok);
  const checksPassed = outcomes.reduce((n, o) => n + o.passed, 0);
  const checksFailed = outcomes.reduce((n, o) => n + (o.total - o.passed), 0);
  console.log(
    `\n${outcomes.length - failures.length}/${outcomes.length} runtimes pass; installs ${(installMs / 1000).toFixed(1)} s, ` +
      `total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const failure of failures) console.log(`FAILED ${failure.row.label}: ${failure.problems.join('; ')}`);
  console.log(`runtimes: ${checksPassed} passed, ${checksFailed} failed`);
  return failures.length ? 1 : 0;
}

process.once('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.once('SIGTERM', () => {
  killAll();
  process.exit(143);
});
try {
  process.exitCode = await main();
} catch (error) {
  killAll();
  console.error(`test:runtimes: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
}
