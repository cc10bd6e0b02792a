/**
 * The package checks' view of scripts/lib/exec.ts: exit code and combined output, never a
 * rejection on exit code.
 */
import { exec } from '../lib/exec.js';

export { killAll } from '../lib/exec.js';

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

/** Runs `command args` and resolves with its exit code and combined output. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const { code, output, timedOut, ms } = await exec(command, args, options);
  return { code, output, timedOut, ms: Math.round(ms) };
}
