// Token sources: caching, expiry, single-flight, 401 renewal; against the sandbox where Dollr's
// token endpoint is what the test wants, against a raw loopback server where it names tokens.
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DollrApiError } from '../../src/index.js';
import type { DollrClientOptions } from '../../src/index.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { recorder } from '../reliability/helpers/dollr-sandbox.js';
import type { Recorder } from '../reliability/helpers/dollr-sandbox.js';
import { executionResponse, sendJson, startTestServer, TOKEN_PATH, withTokenEndpoint } from './helpers/server.js';
import type { Handler, TestServer } from './helpers/server.js';
import { CLIENT_SECRET, payoutBody, testClient } from './helpers/fixtures.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

const ok: Handler = (req, res) => {
  const { reference_id } = JSON.parse(req.body) as { reference_id: string };
  sendJson(res, 200, executionResponse(reference_id));
};

/** 401 unless the bearer is one of `valid`. */
function requireToken(...valid: string[]): Handler {
  return (req, res, index) => {
    if (!valid.includes(req.headers.authorization?.replace(/^Bearer /, '') ?? '')) {
      sendJson(res, 401, { detail: 'Could not validate credentials' });
      return;
    }
    return ok(req, res, index);
  };
}

const credentials = { clientId: 'client-1', clientSecret: CLIENT_SECRET };

describe('client credentials against Dollr (the sandbox)', () => {
  // The sandbox's token endpoint checks the body (client_id, client_secret, JSON) and issues
  // tokens its API accepts; a recording fetch shows what the client sent, the request log what
  // reached the sandbox. The call under test is an authenticated POST /v1/parties/create.
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ credentials });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  const party = { fullname: 'Jane Doe', phone: '231771234567' };
  const PARTIES = '/v1/parties/create';
  const logged = (path: string) => sandbox.requests().filter((r) => r.path === path);
  const make = (rec: Recorder, options: Partial<DollrClientOptions> = {}) => testClient(sandbox.url, { auth: credentials, fetch: rec.fetch, ...options });

  it('obtains a token once and sends it as a bearer', async () => {
    const rec = recorder();
    const client = make(rec);
    expect((await client.POST(PARTIES, { body: party })).response.status).toBe(200);
    expect((await client.POST(PARTIES, { body: party })).response.status).toBe(200);
    const tokenRequests = rec.sent.filter((r) => r.path === TOKEN_PATH);
    expect(tokenRequests).toHaveLength(1);
    expect(logged(TOKEN_PATH).map((r) => r.status)).toEqual([200]);
    const [token] = tokenRequests;
    expect(token?.method).toBe('POST');
    expect(token?.headers.get('content-type')).toBe('application/json');
    expect(token?.headers.get('authorization')).toBeNull();
    expect(JSON.parse(token?.body.toString('utf8') ?? '')).toEqual({ client_id: 'client-1', client_secret: CLIENT_SECRET });
    expect(rec.sent.filter((r) => r.path === PARTIES).map((r) => r.headers.get('authorization'))).toEqual([`Bearer ${rec.tokens[0]}`, `Bearer ${rec.tokens[0]}`]);
  });

  it('shares one token request among 100 parallel calls', async () => {
    const client = make(recorder());
    const results = await Promise.all(Array.from({ length: 100 }, () => client.POST(PARTIES, { body: party })));
    expect(results.every((r) => r.response.status === 200)).toBe(true);
    expect(logged(TOKEN_PATH)).toHaveLength(1);
    expect(logged(PARTIES)).toHaveLength(100);
  });

  it('after a 401, refreshes once and retries the request once', async () => {
    sandbox.inject({ method: 'POST', path: PARTIES, fault: { status: 401 } });
    const rec = recorder();
    const { response } = await make(rec).POST(PARTIES, { body: party });
    expect(response.status).toBe(200);
    expect(logged(TOKEN_PATH)).toHaveLength(2);
    const sent = rec.sent.filter((r) => r.path === PARTIES);
    expect(sent.map((r) => r.headers.get('authorization'))).toEqual(rec.tokens.map((t) => `Bearer ${t}`));
    expect(rec.tokens).toHaveLength(2);
    expect(sent[1]?.body.equals(sent[0]?.body ?? Buffer.alloc(0))).toBe(true);
    expect(logged(PARTIES).map((r) => r.status)).toEqual([401, 200]);
  });

  it('does not loop when the new token is refused too', async () => {
    sandbox.inject({ method: 'POST', path: PARTIES, fault: { status: 401 }, times: 5 });
    const { response, error } = await make(recorder()).POST(PARTIES, { body: party });
    expect(response.status).toBe(401);
    expect(error).toEqual({ detail: 'Could not validate credentials' });
    expect(logged(PARTIES)).toHaveLength(2);
    expect(logged(TOKEN_PATH)).toHaveLength(2);
  });

  it('a failing token endpoint throws DollrApiError without the secret', async () => {
    sandbox.inject({
      method: 'POST',
      path: TOKEN_PATH,
      fault: {
        status: 422,
        body: { detail: [{ loc: ['body', 'client_secret'], msg: `bad secret ${CLIENT_SECRET}`, type: 'value_error', input: CLIENT_SECRET }] },
      },
      times: 5,
    });
    const error = await make(recorder()).POST(PARTIES, { body: party }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(422);
    expect((error as Error).message).toMatch(/^Obtaining an access token failed: 422/);
    const out = [(error as Error).message, JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join();
    expect(out).not.toContain(CLIENT_SECRET);
    expect(logged(PARTIES)).toHaveLength(0);
  });

  it('retries the token endpoint on 503', async () => {
    sandbox.inject({ method: 'POST', path: TOKEN_PATH, fault: { status: 503 } });
    const { response } = await make(recorder()).POST(PARTIES, { body: party });
    expect(response.status).toBe(200);
    expect(logged(TOKEN_PATH).map((r) => r.status)).toEqual([503, 200]);
  });
});

// Named tokens under a faked clock, a token endpoint held back, tokens the server must refuse
// but one: the raw server of helpers/server.ts (no Dollr issues 'tok-B' on request).
describe('client credentials', () => {
  it('treats expires_in as minutes: refreshes only once fewer than 5 minutes remain', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    server.handle(withTokenEndpoint(ok, ['tok-A', 'tok-B'], 60));
    const client = testClient(server.url, { auth: credentials });
    await client.POST('/v1/executions/payout', { body: payoutBody() });

    vi.setSystemTime(new Date('2030-01-01T00:54:00Z')); // 6 minutes left: still fresh
    await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(server.tokenRequests()).toHaveLength(1);

    vi.setSystemTime(new Date('2030-01-01T00:56:00Z')); // 4 minutes left: refresh
    await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(server.tokenRequests()).toHaveLength(2);
    expect(server.apiRequests().map((r) => r.headers.authorization)).toEqual([
      'Bearer tok-A',
      'Bearer tok-A',
      'Bearer tok-B',
    ]);
  });

  it('parallel 401s on the same token trigger a single refresh', async () => {
    server.handle(withTokenEndpoint(requireToken('tok-B'), ['tok-A', 'tok-B', 'tok-C']));
    const client = testClient(server.url, { auth: credentials });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => client.POST('/v1/executions/payout', { body: payoutBody() })),
    );
    expect(results.map((r) => r.response.status)).toEqual(Array(10).fill(200));
    expect(server.tokenRequests()).toHaveLength(2);
  });

  it('keeps using a still-valid token when an early refresh fails', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    let tokenCalls = 0;
    server.handle((req, res, index) => {
      if (req.url === TOKEN_PATH && tokenCalls++ > 0) return sendJson(res, 503, { detail: 'down' });
      return withTokenEndpoint(ok, ['tok-A'])(req, res, index);
    });
    const client = testClient(server.url, { auth: credentials, maxRetries: 0 });
    await client.POST('/v1/executions/payout', { body: payoutBody() });
    vi.setSystemTime(new Date('2030-01-01T00:57:00Z')); // refresh due, token valid 3 more minutes
    const { response } = await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(200);
    expect(server.apiRequests().map((r) => r.headers.authorization)).toEqual(['Bearer tok-A', 'Bearer tok-A']);
    vi.setSystemTime(new Date('2030-01-01T01:00:01Z')); // expired: the failure surfaces
    const error = await client.POST('/v1/executions/payout', { body: payoutBody() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect(server.tokenRequests()).toHaveLength(3);
  });

  it('an abort while waiting for a shared refresh rejects that caller only', async () => {
    let releaseToken: () => void = () => undefined;
    const tokenGate = new Promise<void>((resolve) => (releaseToken = resolve));
    const api = withTokenEndpoint(ok, ['tok-A']);
    server.handle(async (req, res, index) => {
      if (req.url === TOKEN_PATH) await tokenGate;
      return api(req, res, index);
    });
    const client = testClient(server.url, { auth: credentials });
    const controller = new AbortController();
    const reason = new Error('gave up waiting for the token');
    const aborted = client.POST('/v1/executions/payout', { body: payoutBody(), signal: controller.signal });
    const patient = client.POST('/v1/executions/payout', { body: payoutBody() });
    while (server.tokenRequests().length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    releaseToken();
    expect((await patient).response.status).toBe(200);
    expect(server.tokenRequests()).toHaveLength(1);
    expect(server.apiRequests()).toHaveLength(1);
  });

});

describe('static and function auth', () => {
  it('a static token gets no 401 retry', async () => {
    server.handle(requireToken('other'));
    const client = testClient(server.url, { auth: 'static-token' });
    const { response } = await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(401);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer static-token');
  });

  it('an async function is called per request and once more after a 401', async () => {
    server.handle(requireToken('fn-2', 'fn-3'));
    let calls = 0;
    const client = testClient(server.url, { auth: async () => `fn-${++calls}` });
    const { response } = await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(200);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer fn-1', 'Bearer fn-2']);
    await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(calls).toBe(3);
  });

  it('a sync function works and an invalid return is refused without echo', async () => {
    server.handle(ok);
    const good = testClient(server.url, { auth: () => 'sync-token' });
    await good.POST('/v1/executions/payout', { body: payoutBody() });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sync-token');
    const bad = testClient(server.url, { auth: () => 'has space secret' });
    const error = await bad.POST('/v1/executions/payout', { body: payoutBody() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DollrInputError', field: 'auth' });
    expect((error as Error).message).not.toContain('secret');
    expect(server.requests).toHaveLength(1);
  });
});
