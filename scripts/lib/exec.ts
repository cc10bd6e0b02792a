/**
 * Child processes for the scripts (package checks, runtime matrix): time-bounded, each in its
 * own process group so a timeout also ends anything it started (npm's scripts, a consumer's
 * Prism), and tracked so an interrupted run ends them too.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order (a spawn error appended). */
  output: string;
  timedOut: boolean;
  /** The command could not be started at all (missing binary, not executable). */
  spawnError?: string;
  ms: number;
}

export interface ExecOptions {
  cwd: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Called with each stdout line as it arrives (progress output). */
  onLine?: (line: string) => void;
}

const LIMIT = 512 * 1024;
const live = new Set<number>();

export function exec(command: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let stdout = '';
    let stderr = '';
    let output = '';
    let pending = '';
    let timedOut = false;
    let spawnError: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stdout = (stdout + text).slice(-LIMIT);
      output = (output + text).slice(-LIMIT);
      if (options.onLine) {
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr = (stderr + text).slice(-LIMIT);
      output = (output + text).slice(-LIMIT);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, options.timeoutMs);
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      if (pending && options.onLine) options.onLine(pending);
      if (spawnError !== undefined) output += `\n${spawnError}`;
      const result: ExecResult = { code, signal, stdout, stderr, output, timedOut, ms: performance.now() - started };
      if (spawnError !== undefined) result.spawnError = spawnError;
      resolve(result);
    };
    child.once('error', (error) => {
      spawnError = error.message;
      finish(null, null);
    });
    child.once('close', (code, signal) => finish(code, signal));
  });
}

/** SIGKILLs a process group this module started; ignores groups that are already gone. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already exited
  }
}

/** Ends every child still running (on Ctrl-C or an unexpected exit of the orchestrator). */
export function killAll(): void {
  for (const pid of live) killGroup(pid);
  live.clear();
}

/** Last `n` non-empty lines of some output, for a one-line failure reason. */
export function tail(text: string, n = 3): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}
