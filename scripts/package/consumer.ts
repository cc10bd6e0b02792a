/**
 * Consumer smoke test: a fresh project outside the repo installs the tarball the way
 * users install from the registry, compiles a strict TypeScript consumer under each
 * resolution mode with the repo's own tsc, then runs a payout against the Prism mock.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONSUMER_OK, CONSUMER_TSCONFIGS, consumerFiles } from '../../test/package/consumer-project.js';
import type { ConsumerTsconfig } from '../../test/package/consumer-project.js';
import { run, type RunResult } from './exec.js';
import type { StepReporter } from './report.js';

/** The optional peer a consumer must install itself to use dollr-client/testing. */
export const PRISM_SPEC = '@stoplight/prism-cli@5.14.2';

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
    ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, PRISM_SPEC],
    { cwd: dir, timeoutMs: 180_000, env: npmEnv },
  );
  if (install.code !== 0) {
    report.fail('consumer npm install', `${outcome(install)}\n${excerpt(install)}`);
    return;
  }
  report.pass('consumer npm install', `tarball + ${PRISM_SPEC} in ${install.ms} ms`);

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
