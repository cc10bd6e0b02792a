/**
 * `dollr-sandbox` as another language's test suite would use it: start the process, read the
 * URL and credentials it prints, get a token, stop it with SIGTERM, and see it exit cleanly.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../src/testing/cli.ts', import.meta.url));

function run(args: string[]) {
  // tsx runs the TypeScript source; the published bin is the same file compiled to dist/testing/cli.js.
  return spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

it('prints URL, credentials and control surface, serves, and exits 0 on SIGTERM', async () => {
  const child = run(['--port', '0', '--json', '--settle-after-ms', '50']);
  const exited = once(child, 'exit');
  try {
    let out = '';
    child.stdout.setEncoding('utf8');
    const [line] = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output: ${out}`)), 15_000);
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n'));
        }
      });
    });
    const info = JSON.parse(line!) as { url: string; credentials: { clientId: string; clientSecret: string }; control: string };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.control).toBe(`${info.url}/_sandbox`);
    const token = await fetch(`${info.url}/v1/jwt/client/obtain/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: info.credentials.clientId, client_secret: info.credentials.clientSecret }),
    });
    expect(token.status).toBe(200);
    expect((await fetch(`${info.url}/_sandbox/executions`).then((r) => r.json())) as unknown).toEqual([]);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await exited;
  expect(code).toBe(0);
}, 30_000);

it('takes fixed credentials and passcode for other languages’ config, and explains bad flags', async () => {
  const child = run(['--port', '0', '--client-id', 'php-suite', '--client-secret', 'fixed-secret', '--passcode', '4321', '--phone', '231770000001']);
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  await expect.poll(() => out, { timeout: 15_000 }).toContain('Stop with Ctrl+C.');
  expect(out).toContain('client_id      php-suite');
  expect(out).toContain('passcode phone 231770000001');
  child.kill('SIGINT');
  expect((await exited)[0]).toBe(0);

  const bad = run(['--port', 'abc']);
  let err = '';
  bad.stderr.setEncoding('utf8');
  bad.stderr.on('data', (chunk: string) => (err += chunk));
  const [code] = await once(bad, 'exit');
  expect(code).toBe(1);
  expect(err).toContain('--port must be a number');
}, 30_000);
