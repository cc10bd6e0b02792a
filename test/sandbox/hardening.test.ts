/**
 * Safe to leave running, and as strict as Dollr: inject paths must name an operation (JS throws,
 * HTTP 400, both naming the closest templates); the Host check and the control surface's guard
 * (foreign Origin, non-JSON body, control token off loopback) refuse before anything is queued;
 * sends are counted only after authentication; over-deep JSON is a 422 that never breaks
 * executions(); UUIDs compare case-insensitively; non-JSON bodies, unknown currencies and
 * other merchants' wallets are refused in FastAPI's 422 shape.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { connect, payoutBody, payoutSetup } from './helpers.js';
import type { Api } from './helpers.js';

let sandbox: Sandbox;
let api: Api;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 0 });
});
beforeEach(async () => {
  sandbox.reset();
  api = await connect(sandbox);
});
afterAll(() => sandbox.close());

/** One raw HTTP request to the sandbox's port with exactly these headers (fetch forbids `Host`). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const control = (path: string, init: RequestInit = {}) => fetch(`${sandbox.url}/_sandbox${path}`, init);
const injectOverHttp = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  control('/inject', { method: 'POST', headers, body: JSON.stringify(body) });
const pending = async () => ((await (await control('')).json()) as { pending_faults: number }).pending_faults;

describe('inject paths must name an operation of the served spec', () => {
  it('JavaScript: a typo throws, naming the closest templates; templates, concrete paths and matching RegExps are taken', async () => {
    // @ts-expect-error a typo: not an operation of the spec
    expect(() => sandbox.inject({ path: '/v1/executions/payut', fault: 'reset-after' })).toThrow(
      /names no operation.*closest: POST \/v1\/executions\/payout/,
    );
    expect(() => sandbox.inject({ method: 'GET', path: '/v1/executions/payout', fault: 'reset-after' })).toThrow(/with method GET/);
    expect(() => sandbox.inject({ path: /^\/v2\//, fault: 'reset-after' })).toThrow(/names no operation/);
    // @ts-expect-error a reference id where the template has a literal
    expect(() => sandbox.inject({ path: '/v1/executions/{reference_id}', fault: 'reset-after' })).toThrow(TypeError);
    // @ts-expect-error the version is v1
    expect(() => sandbox.inject({ path: '/v2/executions/payout', fault: 'reset-after' })).toThrow(TypeError);
    sandbox.inject({ path: '/v1/status/payout/{reference_id}', fault: 'stall' });
    sandbox.inject({ path: '/{version}/status/payout/{reference_id}', fault: 'stall' });
    sandbox.inject({ path: `/v1/status/payout/${randomUUID()}`, fault: 'stall' });
    sandbox.inject({ path: /^\/v1\/status\/payout\/[0-9a-f-]+$/, fault: 'stall' });
    expect(await pending()).toBe(4);
  });

  it('HTTP: a typo is a 400 naming the closest templates, and nothing is queued; `*` is one segment', async () => {
    const typo = await injectOverHttp({ path: '/v1/executions/payut', fault: 'reset-after' });
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { detail: string }).detail).toMatch(/closest: POST \/v1\/executions\/payout/);
    expect(await pending()).toBe(0);
    expect((await injectOverHttp({ path: '/v1/*', fault: 'reset-after' })).status).toBe(400);
    expect((await injectOverHttp({ path: '/v1/status/*/{reference_id}', fault: { status: 502 } })).status).toBe(200);
    expect((await api.send('GET', `/v1/status/refund/${randomUUID()}`)).status).toBe(502);
    expect((await api.send('GET', `/v1/status/refund/${randomUUID()}`)).status).toBe(404);
  });

  it('a fault that fires is logged with the operation it hit', async () => {
    sandbox.inject({ path: '/v1/fees/tiers', fault: { status: 503 } });
    expect((await api.send('GET', '/v1/fees/tiers')).status).toBe(503);
    expect(sandbox.requests().at(-1)).toMatchObject({ method: 'GET', path: '/v1/fees/tiers', operation: '/{version}/fees/tiers', status: 503, fault: 'status 503' });
  });
});

describe('Host check and the control surface guard', () => {
  it('answers 403 to a foreign Host before anything else: no credentials, no token, nothing queued', async () => {
    const base = sandbox.url;
    const info = await raw(base, 'GET', '/_sandbox', { host: 'attacker.example' });
    expect(info.status).toBe(403);
    expect(info.body).not.toContain(sandbox.credentials.clientSecret);
    const token = await raw(base, 'POST', '/v1/jwt/client/obtain/token', { host: 'attacker.example:80', 'content-type': 'application/json' },
      JSON.stringify({ client_id: sandbox.credentials.clientId, client_secret: sandbox.credentials.clientSecret }));
    expect(token.status).toBe(403);
    expect((await raw(base, 'POST', '/_sandbox/inject', { host: 'attacker.example', 'content-type': 'application/json' },
      JSON.stringify({ path: '/v1/fees/tiers', fault: 'reset-before' }))).status).toBe(403);
    expect(await pending()).toBe(0);
    // Loopback names and the bound address are fine.
    const port = new URL(base).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, '[::1]', 'app.localhost']) {
      expect((await raw(base, 'GET', '/_sandbox', { host })).status, host).toBe(200);
    }
  });

  it('refuses cross-origin browser requests to the control surface and queues nothing', async () => {
    const fault = { path: '/v1/fees/tiers', fault: 'reset-before' };
    // The classic no-preflight form post: text/plain.
    expect((await injectOverHttp(fault, { 'content-type': 'text/plain' })).status).toBe(403);
    expect((await injectOverHttp(fault, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(403);
    expect((await raw(sandbox.url, 'POST', '/_sandbox/inject', { host: new URL(sandbox.url).host, origin: 'http://attacker.example', 'content-type': 'application/json' }, JSON.stringify(fault))).status).toBe(403);
    expect((await raw(sandbox.url, 'POST', '/_sandbox/reset', { host: new URL(sandbox.url).host, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await pending()).toBe(0);
    // Its own origin is fine.
    expect((await raw(sandbox.url, 'POST', '/_sandbox/inject', { host: new URL(sandbox.url).host, origin: sandbox.url, 'content-type': 'application/json' }, JSON.stringify(fault))).status).toBe(200);
    expect(await pending()).toBe(1);
  });

  it('bound beyond loopback, the control surface needs the control token', async () => {
    const exposed = await startSandbox({ host: '0.0.0.0', controlToken: 'control-token-for-this-test' });
    try {
      expect(exposed.controlToken).toBe('control-token-for-this-test');
      const local = `http://127.0.0.1:${new URL(exposed.url).port}`;
      expect((await fetch(`${local}/_sandbox`)).status).toBe(401);
      expect((await fetch(`${local}/_sandbox`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      const ok = await fetch(`${local}/_sandbox`, { headers: { authorization: 'Bearer control-token-for-this-test' } });
      expect(ok.status).toBe(200);
      expect(sandbox.controlToken).toMatch(/^sbx_control_\S{20,}$/);
    } finally {
      await exposed.close();
    }
  });
});

describe('bounded and never broken', () => {
  it('counts a send only after authentication', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    for (let i = 0; i < 3; i++) expect((await api.send('POST', '/v1/executions/payout', body, { token: null })).status).toBe(401);
    expect((await api.send('POST', '/v1/executions/payout', body, { token: 'sbx_forged' })).status).toBe(401);
    expect((await api.send('POST', '/v1/executions/payout', body)).status).toBe(200);
    expect(sandbox.executions()).toMatchObject([{ referenceId: body.reference_id, sends: 1 }]);
    expect(sandbox.requests().filter((r) => r.path === '/v1/executions/payout').map((r) => r.status)).toEqual([401, 401, 401, 401, 200]);
  });

  it('refuses JSON nested deeper than the limit with a 422, before parsing; executions() and the control surface still answer', async () => {
    const setup = await payoutSetup(api);
    const depth = 200_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deep = `{"session_id":"${setup.sessionId}","payout_account_id":"${setup.accountId}","reference_id":"${randomUUID()}","passcode":${nested}}`;
    const refused = await api.send('POST', '/v1/executions/payout', undefined, { raw: deep });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ detail: [{ loc: ['body'], type: 'json_invalid' }] });
    expect(sandbox.executions()).toEqual([]);
    expect((await control('/executions')).status).toBe(200);
    // A body just under the limit is parsed and validated as usual (here: refused by the schema).
    const shallow = deep.replace(nested, `${'['.repeat(60)}${']'.repeat(60)}`);
    expect((await api.send('POST', '/v1/executions/payout', undefined, { raw: shallow })).body).toMatchObject({ detail: [{ loc: ['body', 'passcode'] }] });
    expect((await api.send('POST', '/v1/executions/payout', payoutBody(sandbox, setup))).status).toBe(200);
    expect(sandbox.executions()).toHaveLength(1);
  });
});

describe('truer to Dollr', () => {
  it('compares reference ids as UUIDs: the same id in upper case is a duplicate, and its status is found', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    const lower = String(body.reference_id).toLowerCase();
    expect((await api.send('POST', '/v1/executions/payout', { ...body, reference_id: lower })).status).toBe(200);
    const again = await api.send('POST', '/v1/executions/payout', { ...body, reference_id: lower.toUpperCase() });
    expect(again).toMatchObject({ status: 422, body: { detail: [{ loc: ['body', 'reference_id'] }] } });
    expect(sandbox.executions()).toMatchObject([{ referenceId: lower, sends: 2 }]);
    expect((await api.send('GET', `/v1/status/payout/${lower.toUpperCase()}`)).body).toMatchObject({ reference_id: lower });
  });

  it('refuses a text/plain body with FastAPI 422 and records nothing', async () => {
    const setup = await payoutSetup(api);
    const response = await fetch(`${sandbox.url}/v1/executions/payout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'text/plain' },
      body: JSON.stringify(payoutBody(sandbox, setup)),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      detail: [{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }],
    });
    expect(sandbox.executions()).toEqual([]);
  });

  it('checks currencies against ISO 4217 and wallets against the merchant', async () => {
    const party = await api.send('POST', '/v1/parties/create', { fullname: 'Jane Doe', phone: '231771234567' });
    const account = await api.send('POST', '/v1/payment-accounts/create?operation_type=PAYOUT', {
      account_name: 'Jane MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.body.id,
    });
    const xyz = await api.send('POST', '/v1/sessions/payout', { payout_account_id: account.body.id, amount: 5, currency: 'XYZ' });
    expect(xyz).toMatchObject({ status: 422, body: { detail: [{ loc: ['body', 'currency'] }] } });
    expect((await api.send('POST', '/v1/sessions/payout', { payout_account_id: account.body.id, amount: 5, currency: 'LRD' })).status).toBe(200);
    const counterparty = await api.send('POST', '/v1/counterparties/create', { relationship_type: 'SUPPLIER', party_id: party.body.id });
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const transfer = { to_counterparty_id: counterparty.body.id, amount: 5, currency: 'USD', expires_at: inAnHour };
    expect(await api.send('POST', '/v1/sessions/transfer', { ...transfer, from_wallet_id: 999_999 })).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['body', 'from_wallet_id'] }] },
    });
    expect((await api.send('POST', '/v1/sessions/transfer', { ...transfer, from_wallet_id: 1001 })).status).toBe(200);
  });
});
