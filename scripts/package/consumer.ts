/**
 * Consumer smoke test: a fresh project outside the repo installs the tarball the way
 * users install from the registry, compiles a strict TypeScript consumer under each
 * resolution mode with the repo's own tsc, then runs a payout against the Prism mock, starts
 * `npx dollr-sandbox` from the installed package and gets a token from it, and asks
 * `npx dollr-payouts --help`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONSUMER_OK, CONSUMER_TSCONFIGS, consumerFiles } from '../../test/package/consumer-project.js';
import type { ConsumerTsconfig } from '../../test/package/consumer-project.js';
import { run, type RunResult } from './exec.js';
import type { StepReporter } from './report.js';

/** The optional peer a consumer must install itself to use dollr-client/testing. */
export const PRISM_SPEC = '@stoplight/prism-cli@5.14.2';
/** The sandbox's optional peers, as the README's install line names them. */
export const SANDBOX_SPECS = ['ajv@8.20.0', 'ajv-formats@3.0.1', 'openapi-sampler@1.7.10'];

export interface ConsumerOptions {
  /** Absolute path of the packed tarball. */
  tarball: string;
  /** Empty directory outside the repo. */
  dir: string;
  /** The repo's TypeScript compiler (node_modules/typescript/bin/tsc). */
  tsc: string;
  /** Environment for npm without the parent npm's per-project variables. */
  npmEnv: NodeJS.ProcessEnv;
}

/** The start (where the first error usually is) and the end of a long output. */
function excerpt(result: RunResult, head = 15, tail = 30): string {
  const lines = result.output.trim().split('\n');
  if (lines.length <= head + tail) return lines.join('\n');
  return [...lines.slice(0, head), `... (${lines.length - head - tail} lines) ...`, ...lines.slice(-tail)].join('\n');
}

function outcome(result: RunResult): string {
  return result.timedOut ? `timed out after ${result.ms} ms` : `exit ${result.code}`;
}

export async function checkConsumer(options: ConsumerOptions, report: StepReporter): Promise<void> {
  const { dir, tarball, tsc, npmEnv } = options;
  for (const [path, text] of Object.entries(consumerFiles())) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }

  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, PRISM_SPEC, ...SANDBOX_SPECS],
    { cwd: dir, timeoutMs: 180_000, env: npmEnv },
  );
  if (install.code !== 0) {
    report.fail('consumer npm install', `${outcome(install)}\n${excerpt(install)}`);
    return;
  }
  report.pass('consumer npm install', `tarball + ${[PRISM_SPEC, ...SANDBOX_SPECS].join(' ')} in ${install.ms} ms`);
  await checkSandboxBin(dir, npmEnv, report);
  // dollr-payouts loads its store's driver (pg, PGlite) only when it opens one: --help needs neither.
  const payouts = await run('npx', ['--no-install', 'dollr-payouts', '--help'], { cwd: dir, timeoutMs: 60_000, env: npmEnv });
  if (payouts.code === 0 && payouts.output.includes('Usage: dollr-payouts')) report.pass('consumer npx dollr-payouts --help', `exit 0 in ${payouts.ms} ms`);
  else report.fail('consumer npx dollr-payouts --help', `${outcome(payouts)}\n${excerpt(payouts)}`);

  // Both resolution modes at once: each tsc is a separate process, and they dominate the check's time.
  const configs = Object.keys(CONSUMER_TSCONFIGS) as ConsumerTsconfig[];
  const results = await Promise.all(
    configs.map((config) => run(process.execPath, [tsc, '-p', join(dir, config)], { cwd: dir, timeoutMs: 120_000 })),
  );
  let compiled = true;
  configs.forEach((config, index) => {
    const result = results[index];
    const { module, moduleResolution } = CONSUMER_TSCONFIGS[config].compilerOptions;
    const label = `consumer tsc (module ${module}, moduleResolution ${moduleResolution}, strict)`;
    if (result?.code === 0) report.pass(label, `type-checks, @ts-expect-error on session_id: 42 holds (${result.ms} ms)`);
    else {
      compiled = false;
      report.fail(label, result ? `${outcome(result)}\n${excerpt(result)}` : 'did not run');
    }
  });
  if (!compiled) return;

  const main = join(dir, 'out', 'main.js');
  const result = await run(process.execPath, [main], { cwd: dir, timeoutMs: 90_000 });
  const execution = result.output.split('\n').find((line) => line.startsWith('ExecutionResponse '));
  if (result.code === 0 && result.output.includes(CONSUMER_OK) && execution) {
    report.pass('consumer payout against startMockServer()', execution);
  } else {
    report.fail('consumer payout against startMockServer()', `${outcome(result)}\n${excerpt(result)}`);
  }

  const leftovers = prismProcessesUnder(dir);
  if (leftovers.length === 0) report.pass('no Prism process left behind');
  else {
    for (const pid of leftovers) killQuietly(pid);
    report.fail('no Prism process left behind', `killed leftover Prism pids ${leftovers.join(', ')}`);
  }
}

/** Prism processes serving a spec from `dir` (startMockServer passes the spec path as an argument). */
function prismProcessesUnder(dir: string): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .filter((line) => line.includes('prism') && line.includes(dir))
    .map((line) => Number.parseInt(line.trim(), 10))
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * `dollr-sandbox` from the installed package: `npx dollr-sandbox --help` answers, and the bin
 * with `--port 0 --json` prints one JSON line with the URL and credentials, the token endpoint
 * accepts them, and SIGTERM ends it with exit 0.
 */
async function checkSandboxBin(dir: string, npmEnv: NodeJS.ProcessEnv, report: StepReporter): Promise<void> {
  const help = await run('npx', ['--no-install', 'dollr-sandbox', '--help'], { cwd: dir, timeoutMs: 60_000, env: npmEnv });
  if (help.code === 0 && help.output.includes('Usage: dollr-sandbox')) report.pass('consumer npx dollr-sandbox --help', `exit 0 in ${help.ms} ms`);
  else report.fail('consumer npx dollr-sandbox --help', `${outcome(help)}\n${excerpt(help)}`);
  // The bin npx runs, started directly so SIGTERM reaches the sandbox rather than npm.
  const label = 'consumer dollr-sandbox bin serves a token and exits cleanly on SIGTERM';
  const bin = join(dir, 'node_modules', '.bin', 'dollr-sandbox');
  const child = spawn(bin, ['--port', '0', '--json'], { cwd: dir, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const deadline = Date.now() + 45_000;
    let line: string | undefined;
    while (!(line = output.split('\n').find((l) => l.startsWith('{'))) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!line) return report.fail(label, `no JSON line printed:\n${output.slice(-2000)}`);
    const { url, credentials } = JSON.parse(line) as { url: string; credentials: { clientId: string; clientSecret: string } };
    const response = await fetch(`${url}/v1/jwt/client/obtain/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: credentials.clientId, client_secret: credentials.clientSecret }),
    });
    const token = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    child.kill('SIGTERM');
    const code = await exited;
    if (response.status === 200 && typeof token.access_token === 'string' && code === 0) {
      report.pass(label, `${url}: token for ${credentials.clientId}, expires_in ${String(token.expires_in)} min; exit ${code}`);
    } else report.fail(label, `token answer ${response.status}, exit ${code}\n${output.slice(-2000)}`);
  } catch (error) {
    report.fail(label, `${(error as Error).message}\n${output.slice(-2000)}`);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
