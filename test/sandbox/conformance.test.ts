/**
 * Conformance: the whole tour goes through Prism's validation proxy (`prism proxy --errors`)
 * placed in front of the sandbox, so every request and every sandbox answer is checked against
 * openapi.json by a validator that is not ours. Zero violations, no 500s. Business refusals
 * (a reused reference_id: 422 in the declared HTTPValidationError shape) go through it too.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMockServer, startSandbox } from '../../src/testing/index.js';
import type { MockServer, Sandbox } from '../../src/testing/index.js';
import { device, operationKeys, tour } from './tour.js';

const spec = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};

let sandbox: Sandbox;
let proxy: MockServer;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 0 });
  proxy = await startMockServer({ proxy: sandbox.url });
});
afterAll(async () => {
  await proxy?.close();
  await sandbox?.close();
});

it('every operation, through Prism’s validation proxy: 49 operations, zero violations, no 500s', async () => {
  const calls = await tour(proxy.url, sandbox);
  expect(new Set(calls.map((c) => c.key))).toEqual(new Set(operationKeys(spec)));
  expect(calls.filter((c) => c.status !== 200).map((c) => `${c.key}: ${c.status} ${JSON.stringify(c.body)}`)).toEqual([]);
  expect(proxy.violations()).toEqual([]);
}, 60_000);

it('a business 422 (reused reference_id) passes the proxy in FastAPI’s declared shape', async () => {
  const token = await fetch(`${proxy.url}/v1/jwt/client/obtain/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: sandbox.credentials.clientId, client_secret: sandbox.credentials.clientSecret }),
  }).then((r) => r.json() as Promise<{ access_token: string }>);
  const body = {
    session_id: '999999',
    payout_account_id: '1',
    reference_id: randomUUID(),
    passcode: { token: { phone: sandbox.passcode.phone, code: sandbox.passcode.code }, device },
  };
  const response = await fetch(`${proxy.url}/v1/executions/payout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(422);
  expect(await response.json()).toEqual({
    detail: [{ loc: ['body', 'session_id'], msg: 'Value error, session not found', type: 'value_error' }],
  });
  expect(proxy.violations()).toEqual([]);
}, 30_000);

// Control: proves the check above can fail. A fault answers a body the spec forbids.
it('the proxy does flag an answer that breaks the spec (control)', async () => {
  sandbox.inject({ path: '/v1/fees/tiers', fault: { status: 200, body: { not: 'an array' } } });
  const token = await fetch(`${proxy.url}/v1/jwt/client/obtain/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: sandbox.credentials.clientId, client_secret: sandbox.credentials.clientSecret }),
  }).then((r) => r.json() as Promise<{ access_token: string }>);
  const response = await fetch(`${proxy.url}/v1/fees/tiers`, { headers: { authorization: `Bearer ${token.access_token}` } });
  await response.body?.cancel();
  expect(response.status).toBe(500);
  await expect.poll(() => proxy.violations().length).toBeGreaterThan(0);
}, 30_000);
