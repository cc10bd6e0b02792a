// Per-call options on every raw method and the option checks of issue 15 (rule 8): typed
// (a misspelled or mistyped option does not compile), honoured through openapi-fetch's
// per-request fetch, and checked before anything is sent, with clear words.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDollrClient, DollrConnectionError, DollrInputError, DollrTimeoutError } from '../../src/index.js';
import type { DollrClientOptions } from '../../src/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { obtainToken, startDollr } from '../reliability/helpers/dollr-sandbox.js';
import { FAST_BACKOFF, payoutBody } from './helpers/fixtures.js';
import { executionResponse, sendJson, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer((_req, res) => sendJson(res, 200, []));
});
afterEach(() => server.close());

const client = (options: Partial<DollrClientOptions> = {}) =>
  createDollrClient({ baseUrl: server.url, auth: 'static-token', backoff: FAST_BACKOFF, maxRetries: 0, ...options });

function refusal(make: () => unknown): DollrInputError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(DollrInputError);
    return error as DollrInputError;
  }
  throw new Error('expected a DollrInputError');
}

describe('per-call timeoutMs and maxRetries on raw methods', () => {
  // Against Dollr (the sandbox, with a token it issued): a GET held back, a GET answered 503.
  let sandbox: Sandbox;
  let token: string;
  beforeAll(async () => {
    sandbox = await startDollr();
    token = await obtainToken(sandbox);
  });
  afterAll(() => sandbox.close());
  const sandboxed = (options: Partial<DollrClientOptions> = {}) =>
    createDollrClient({ baseUrl: sandbox.url, auth: token, backoff: FAST_BACKOFF, maxRetries: 0, ...options });
  const fees = () => sandbox.requests().filter((r) => r.path === '/v1/fees/tiers');

  it('GET honours timeoutMs (the client default is 10 s)', async () => {
    sandbox.inject({ method: 'GET', path: '/v1/fees/tiers', fault: { delayMs: 5_000 } });
    const started = Date.now();
    const error = await sandboxed({ timeoutMs: 10_000 })
      .GET('/v1/fees/tiers', { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrTimeoutError);
    expect(Date.now() - started).toBeLessThan(100 + 2_000);
  });

  it('GET honours maxRetries (503 three times with maxRetries: 2, once with 0)', async () => {
    sandbox.reset();
    sandbox.inject({ method: 'GET', path: '/v1/fees/tiers', fault: { status: 503, body: { detail: 'busy' } }, times: 10 });
    const c = sandboxed({ maxRetries: 0 });
    expect((await c.GET('/v1/fees/tiers', { maxRetries: 2 })).response.status).toBe(503);
    expect(fees()).toHaveLength(3);
    expect((await c.request('get', '/v1/fees/tiers', { maxRetries: 0 })).response.status).toBe(503);
    expect(fees()).toHaveLength(4);
  });

  it('refuses a bad per-call value before sending, naming the field', async () => {
    const c = client();
    const e1 = await c.GET('/v1/fees/tiers', { timeoutMs: -1 }).catch((e: unknown) => e);
    const e2 = await c.GET('/v1/fees/tiers', { maxRetries: 1.5 }).catch((e: unknown) => e);
    expect((e1 as DollrInputError).field).toBe('timeoutMs');
    expect((e2 as DollrInputError).field).toBe('maxRetries');
    expect(server.requests).toHaveLength(0);
  });

  it('types: a misspelled option or a wrong type does not compile', () => {
    const c = client();
    const calls = [
      // @ts-expect-error timeoutMS is not an option (timeoutMs is)
      () => c.GET('/v1/fees/tiers', { timeoutMS: 5 }),
      // @ts-expect-error timeoutMs is a number of milliseconds
      () => c.GET('/v1/fees/tiers', { timeoutMs: '5' }),
      // @ts-expect-error maxRetry is not an option (maxRetries is)
      () => c.request('GET', '/v1/fees/tiers', { maxRetry: 1 }),
      // Correct spellings compile.
      () => c.GET('/v1/fees/tiers', { timeoutMs: 5, maxRetries: 0 }),
    ];
    expect(calls).toHaveLength(4);
  });
});

describe('default headers', () => {
  it('are sent on every request', async () => {
    await client({ headers: { 'X-Tenant': 'acme' } }).GET('/v1/fees/tiers');
    expect(server.requests[0]?.headers['x-tenant']).toBe('acme');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer static-token');
  });

  it('types: Authorization in default headers does not compile', () => {
    const makes = [
      // @ts-expect-error auth goes in `auth`, never in default headers
      () => client({ headers: { Authorization: 'Bearer x' } }),
      // @ts-expect-error any common casing
      () => client({ headers: { authorization: 'Bearer x' } }),
    ];
    for (const make of makes) expect(() => make()).toThrow(DollrInputError);
  });

  it.each(['Authorization', 'authorization', 'AUTHORIZATION', 'AuThOrIzAtIoN'])('refuse %s at construction', (name) => {
    const error = refusal(() => client({ headers: { [name]: 'Bearer leaked-token' } }));
    expect(error.field).toBe('headers');
    expect(error.message).not.toContain('leaked-token');
  });
});

describe('baseUrl checks', () => {
  it('refuses credentials without echoing them', () => {
    const error = refusal(() => createDollrClient({ auth: 't', baseUrl: 'https://user:hunter2-pass@api.heydollr.app' }));
    expect(error.field).toBe('baseUrl');
    expect(error.message).toMatch(/credentials/);
    expect(error.message).not.toContain('hunter2-pass');
    expect(JSON.stringify(error)).not.toContain('hunter2-pass');
  });

  it.each(['https://api.heydollr.app/v1', 'https://api.heydollr.app/v1/', 'https://gw.example/dollr/v1'])('refuses %s with a hint', (baseUrl) => {
    const error = refusal(() => createDollrClient({ auth: 't', baseUrl }));
    expect(error.field).toBe('baseUrl');
    expect(error.message).toMatch(/paths already carry \/v1/);
  });

  it('accepts a path prefix (a gateway) and keeps the operation policy behind it', async () => {
    const body = payoutBody();
    // The execution answers 503: the execution policy looks it up under the same prefix.
    server.handle((req, res) => (req.method === 'POST' ? sendJson(res, 503, { detail: 'busy' }) : sendJson(res, 200, executionResponse(body.reference_id, 'COMPLETED'))));
    const c = createDollrClient({ baseUrl: `${server.url}/gateway/dollr`, auth: 'static-token', backoff: FAST_BACKOFF });
    expect(await c.execute('payout', body)).toMatchObject({ reference_id: body.reference_id, status: 'COMPLETED' });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /gateway/dollr/v1/executions/payout',
      `GET /gateway/dollr/v1/status/payout/${body.reference_id}`,
    ]);
  });

  it('a per-request baseUrl with a path prefix keeps the operation policy too', async () => {
    const body = payoutBody();
    server.handle((req, res) => (req.method === 'POST' ? sendJson(res, 503, { detail: 'busy' }) : sendJson(res, 200, executionResponse(body.reference_id, 'COMPLETED'))));
    const { data } = await client().POST('/v1/executions/payout', { body, baseUrl: `${server.url}/gw` });
    expect(data).toMatchObject({ reference_id: body.reference_id, status: 'COMPLETED' });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /gw/v1/executions/payout', `GET /gw/v1/status/payout/${body.reference_id}`]);
  });

  it('a per-request baseUrl with credentials is refused without echo, nothing sent', async () => {
    const url = server.url.replace('http://', 'http://user:hunter2-pass@');
    const error = await client()
      .GET('/v1/fees/tiers', { baseUrl: url })
      .catch((e: unknown) => e);
    expect((error as DollrInputError).field).toBe('baseUrl');
    expect(JSON.stringify(error)).not.toContain('hunter2-pass');
    expect((error as Error).message).not.toContain('hunter2-pass');
    expect(server.requests).toHaveLength(0);
  });
});

describe('JSON bodies', () => {
  it.each([
    [{ amount: Number.NaN }, 'amount'],
    [{ amount: 10, currency: 'USD', fees: { gateway: Infinity } }, 'fees.gateway'],
    [{ items: [{ price: 1 }, { price: -Infinity }] }, 'items.1.price'],
  ])('refuses %j before sending, naming %s', async (body, field) => {
    const error = await client()
      .POST('/v1/sessions/payout' as never, { body } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrInputError);
    expect((error as DollrInputError).field).toBe(field);
    expect((error as Error).message).toMatch(/finite number/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('connection errors', () => {
  it('name the origin they tried', async () => {
    const url = server.url;
    await server.close();
    const error = await createDollrClient({ baseUrl: url, auth: 't', maxRetries: 0 })
      .GET('/v1/fees/tiers')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect((error as Error).message).toContain(url);
    expect((error as DollrConnectionError).processed).toBe(false);
    server = await startTestServer((_req, res) => sendJson(res, 200, []));
  });

});
