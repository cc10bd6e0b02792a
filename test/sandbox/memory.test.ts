/**
 * Memory bounded in bytes: the sandbox runs as its own process (the CLI) so its RSS is its own,
 * read from /proc. 120 unauthenticated payout POSTs, each with a 1 MB reference_id, must grow it
 * by under 40 MB, and it must still answer. (Before: sends were counted before the auth check,
 * and every 1 MB id was kept: 150 such POSTs added 166 MB.)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../src/testing/cli.ts', import.meta.url));
const POSTS = 120;
const MB = 1024 * 1024;

const rss = (pid: number): number => {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error('no VmRSS');
  return Number(line[1]) * 1024;
};

it.runIf(process.platform === 'linux')(`${POSTS} unauthenticated payout POSTs with a 1 MB reference_id grow the sandbox by under 40 MB`, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    await expect.poll(() => out, { timeout: 15_000 }).toContain('\n');
    const info = JSON.parse(out.split('\n')[0]!) as { url: string; credentials: { clientId: string; clientSecret: string } };
    const token = async () =>
      fetch(`${info.url}/v1/jwt/client/obtain/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: info.credentials.clientId, client_secret: info.credentials.clientSecret }),
      });
    const huge = JSON.stringify({ session_id: '1', payout_account_id: '1', reference_id: 'x'.repeat(1_000_000), passcode: {} });
    const post = (headers: Record<string, string>) =>
      fetch(`${info.url}/v1/executions/payout`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: huge });
    // Warm up (JIT, sockets, buffers), then measure.
    expect((await token()).status).toBe(200);
    for (let i = 0; i < 5; i++) await (await post({})).text();
    const before = rss(child.pid!);
    for (let i = 0; i < POSTS; i++) {
      const answer = await post(i % 2 === 0 ? {} : { authorization: 'Bearer forged-token' });
      expect(answer.status).toBe(401);
      await answer.text();
    }
    const after = rss(child.pid!);
    console.log(`[sandbox:memory] ${POSTS} x 1 MB unauthenticated POSTs: rss ${(before / MB).toFixed(1)} MB -> ${(after / MB).toFixed(1)} MB`);
    expect(after - before).toBeLessThan(40 * MB);
    expect((await token()).status).toBe(200);
    const log = (await (await fetch(`${info.url}/_sandbox/requests`)).json()) as Array<{ referenceId: string | null }>;
    expect(log.length).toBeGreaterThanOrEqual(POSTS);
    expect(JSON.stringify(log).length).toBeLessThan(200_000);
  } finally {
    child.kill('SIGTERM');
  }
  expect((await exited)[0]).toBe(0);
}, 60_000);
