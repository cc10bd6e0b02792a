// dollr-client/testing: startMockServer starts a real Prism, reports contract
// violations in proxy mode, fails loudly, and leaves no process behind.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../src/testing/index.js';
import { documentedPayoutBody } from './fixtures/documented-payout.js';

const started: MockServer[] = [];
const upstreams: Server[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((mock) => mock.close()));
  await Promise.all(upstreams.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function start(options?: Parameters<typeof startMockServer>[0]): Promise<MockServer> {
  const mock = await startMockServer(options);
  started.push(mock);
  return mock;
}

function payout(url: string): Promise<Response> {
  return fetch(`${url}/v1/executions/payout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' },
    body: JSON.stringify(documentedPayoutBody),
  });
}

/** Prism processes still listening on the given port, from the process table. */
function prismProcessesOn(port: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes('prism') && line.includes(`--port ${port}`));
}

/** A loopback upstream answering every request with the given JSON. */
async function upstream(reply: unknown): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(reply));
    });
  });
  upstreams.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

describe('startMockServer', () => {
  it('serves the package openapi.json on a free loopback port and stops cleanly', async () => {
    const mock = await start();
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await payout(mock.url)).status).toBe(200);

    const port = new URL(mock.url).port;
    expect(prismProcessesOn(port)).toHaveLength(1);
    await mock.close();
    await mock.close(); // idempotent
    expect(prismProcessesOn(port)).toHaveLength(0);
    await expect(fetch(mock.url)).rejects.toThrow();
  });

  it('records request violations in mock mode', async () => {
    const mock = await start();
    const response = await fetch(`${mock.url}/v1/executions/payout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' },
      body: JSON.stringify({ ...documentedPayoutBody, passcode: undefined }),
    });
    expect(response.status).toBe(422);
    await expect.poll(() => mock.violations()).toContain("request.body Request body must have required property 'passcode'");
  });

  it('generates response data from the schema with dynamic: true', async () => {
    const staticMock = await start();
    const dynamicMock = await start({ dynamic: true });
    const staticBody = (await (await payout(staticMock.url)).json()) as Record<string, unknown>;
    const dynamicBody = (await (await payout(dynamicMock.url)).json()) as Record<string, unknown>;
    // Static mode returns Prism's placeholder strings; dynamic mode fakes values.
    expect(staticBody.status).toBe('string');
    expect(typeof dynamicBody.status).toBe('string');
    expect(dynamicBody.reference_id).not.toBe('string');
  });

  it('in proxy mode passes a conforming upstream response through', async () => {
    const mock = await start({
      proxy: await upstream({
        reference_id: documentedPayoutBody.reference_id,
        status: 'PENDING',
        payer_amount: 10,
        payer_currency: 'USD',
        payee_currency: 'LRD',
        payee_amount: 1900,
        operation_type: 'PAYOUT',
      }),
    });
    const response = await payout(mock.url);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe('PENDING');
    expect(mock.violations()).toEqual([]);
  });

  it('in proxy mode reports an upstream response that breaks the contract', async () => {
    const mock = await start({ proxy: await upstream({ reference_id: 'x' }) });
    const response = await payout(mock.url);
    expect(response.status).toBe(500);
    expect(response.headers.get('sl-violations')).toContain("required property 'status'");
    // Prism logs after it has answered, so wait for the line.
    await expect.poll(() => mock.violations()).toEqual(['post /v1/executions/payout: Request/Response not valid']);
    const body = (await response.json()) as { validation: { message: string }[] };
    expect(body.validation.map((v) => v.message)).toContain("Response body must have required property 'status'");
  });

  it('says what to install when @stoplight/prism-cli cannot be resolved', async () => {
    // The real module, copied where no node_modules can be found above it.
    const dir = mkdtempSync(join(tmpdir(), 'dollr-kit-no-prism-'));
    copyFileSync(resolve(import.meta.dirname, '../src/testing/prism.ts'), join(dir, 'testing.ts'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    const script = `import('${join(dir, 'testing.ts')}').then((kit) => kit.startMockServer()).catch((e) => { console.log(e.message); })`;
    const tsx = resolve(import.meta.dirname, '../node_modules/.bin/tsx');
    const stdout = await new Promise<string>((done, fail) =>
      execFile(tsx, ['-e', script], { cwd: dir, timeout: 30_000 }, (error, out) => (error ? fail(error) : done(out))),
    );
    expect(stdout).toContain('startMockServer needs @stoplight/prism-cli, an optional peer dependency');
    expect(stdout).toContain('npm install --save-dev @stoplight/prism-cli@5.14.2');
  });

  it("rejects with Prism's output when the spec cannot be loaded", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dollr-kit-'));
    const spec = join(dir, 'broken.json');
    writeFileSync(spec, '{ "openapi": ');
    await expect(startMockServer({ spec, startTimeoutMs: 20_000 })).rejects.toThrow(/Prism mock server did not start[\s\S]*Prism output/);
  });
});
