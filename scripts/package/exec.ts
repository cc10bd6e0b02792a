/**
 * Child processes for the package checks: always time-bounded, always in their own
 * process group so a timeout also kills grandchildren (npm's scripts, a consumer's Prism).
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  output: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

const OUTPUT_LIMIT = 256 * 1024;
const live = new Set<number>();

/** Runs `command args` and resolves with its exit code and combined output (never rejects on exit code). */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let output = '';
    let timedOut = false;
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, options.timeoutMs);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      resolve({ code, output, timedOut, ms: Date.now() - started });
    };
    child.once('error', (error) => {
      output += `\n${error.message}`;
      finish(null);
    });
    child.once('close', (code) => finish(code));
  });
}

/** SIGKILLs a process group we started; ignores groups that are already gone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already exited.
  }
}

/** Kills every process group still running (used when the whole check hits its deadline). */
export function killAll(): void {
  for (const pid of live) killGroup(pid);
  live.clear();
}
