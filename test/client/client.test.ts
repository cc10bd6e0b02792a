// The client surface: version-bound URLs, the execution guard, payout(), middleware.
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrInputError, newReferenceId, VERSION } from '../../src/index.js';
import type { Middleware } from 'openapi-fetch';
import { executionResponse, sendJson, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { passcode, payoutBody, postUntyped, SECRET_CODE, testClient } from './helpers/fixtures.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer((req, res) => {
    const { reference_id } = JSON.parse(req.body || '{}') as { reference_id?: string };
    sendJson(res, 200, executionResponse(reference_id ?? 'none'));
  });
});
afterEach(() => server.close());

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('client.POST', () => {
  it('sends /v1/... literally with JSON, bearer, user agent', async () => {
    const client = testClient(server.url, { userAgent: 'my-app/1.0' });
    const body = payoutBody();
    const { data, response } = await client.POST('/v1/executions/payout', { body });
    expect(response.status).toBe(200);
    expect(data?.reference_id).toBe(body.reference_id);
    const [sent] = server.requests;
    expect(sent?.url).toBe('/v1/executions/payout');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers.authorization).toBe('Bearer static-token');
    expect(sent?.headers['user-agent']).toBe('my-app/1.0');
    expect(sent?.body).toBe(JSON.stringify(body));
  });

  it('defaults the user agent to dollr-client/<version>', async () => {
    await testClient(server.url).POST('/v1/executions/payout', { body: payoutBody() });
    expect(server.requests[0]?.headers['user-agent']).toBe(`dollr-client/${VERSION}`);
  });

  it.each([
    ['missing', undefined],
    ['not a uuid', 'order-42'],
    ['a v1 uuid', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'],
    ['the nil uuid', '00000000-0000-0000-0000-000000000000'],
  ])('refuses an execution whose reference_id is %s, before any request', async (_label, referenceId) => {
    const client = testClient(server.url);
    const body = { ...payoutBody(), reference_id: referenceId as string };
    const viaPost = await rejection(client.POST('/v1/executions/payout', { body }));
    const viaRequest = await rejection(client.request('post', '/v1/executions/payout', { body }));
    // Runtime callers may pass an upper-case method; the types only allow lower case.
    const untypedRequest = client.request as unknown as (m: string, u: string, i: unknown) => Promise<unknown>;
    const viaRequestUpper = await rejection(untypedRequest('POST', '/v1/executions/payout', { body }));
    for (const error of [viaPost, viaRequest, viaRequestUpper]) {
      expect(error).toBeInstanceOf(DollrInputError);
      expect((error as DollrInputError).field).toBe('reference_id');
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses an execution with a bad passcode through POST and request, before any request', async () => {
    const client = testClient(server.url);
    const body = { ...payoutBody(), passcode: { ...passcode, token: { phone: '+231771234567', code: SECRET_CODE } } };
    for (const error of [
      await rejection(client.POST('/v1/executions/payout', { body })),
      await rejection(client.request('post', '/v1/executions/payout', { body })),
    ]) {
      expect(error).toBeInstanceOf(DollrInputError);
      expect((error as DollrInputError).field).toBe('passcode.token.phone');
      expect((error as Error).message).not.toContain(SECRET_CODE);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a per-request baseUrl with plain http: to a non-loopback host, like the client option', async () => {
    const client = testClient(server.url);
    const viaPost = await rejection(
      client.POST('/v1/executions/payout', { body: payoutBody(), baseUrl: 'http://api.heydollr.app' }),
    );
    const viaGet = await rejection(
      client.GET('/v1/status/payout/{reference_id}' as never, { baseUrl: 'http://localhost.evil.example' } as never),
    );
    for (const error of [viaPost, viaGet]) {
      expect(error).toBeInstanceOf(DollrInputError);
      expect((error as DollrInputError).field).toBe('baseUrl');
      expect((error as Error).message).toMatch(/must use https: \(http: only on loopback, or set allowInsecureHttp: true\)/);
    }
    expect(server.requests).toHaveLength(0);
    // Loopback, or an explicit opt-in, is allowed per request as it is for the client.
    // The answer must be this execution's: the transport checks an execution's 2xx body.
    const sentBody = payoutBody();
    const other = await startTestServer((_req, res) => sendJson(res, 200, executionResponse(sentBody.reference_id)));
    try {
      const local = other.url.replace('127.0.0.1', 'localhost');
      expect((await client.POST('/v1/executions/payout', { body: sentBody, baseUrl: local })).response.status).toBe(200);
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('returns 422 bodies as { error } like openapi-fetch', async () => {
    server.handle((_req, res) => sendJson(res, 422, { detail: [{ loc: ['body', 'x'], msg: 'bad', type: 't' }] }));
    const { data, error, response } = await testClient(server.url).POST('/v1/executions/payout', { body: payoutBody() });
    expect(data).toBeUndefined();
    expect(response.status).toBe(422);
    expect(error?.detail?.[0]?.msg).toBe('bad');
  });
});

describe('client.payout', () => {
  it('sends numeric ids as strings and resolves to the ExecutionResponse', async () => {
    const client = testClient(server.url);
    const referenceId = newReferenceId();
    const result = await client.payout({ sessionId: 42, payoutAccountId: 18, referenceId, passcode });
    expect(result).toEqual(executionResponse(referenceId));
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({
      session_id: '42',
      payout_account_id: '18',
      reference_id: referenceId,
      passcode,
    });
  });

  it.each([
    ['session_id', { sessionId: Number.NaN }],
    ['session_id', { sessionId: Number.POSITIVE_INFINITY }],
    ['session_id', { sessionId: -1 }],
    ['session_id', { sessionId: 4.2 }],
    ['session_id', { sessionId: Number.MAX_SAFE_INTEGER + 1 }],
    ['payout_account_id', { payoutAccountId: -18 }],
    ['payout_account_id', { payoutAccountId: 2 ** 60 }],
    ['session_id', { sessionId: '' }],
    ['payout_account_id', { payoutAccountId: '  ' }],
    ['payout_account_id', { payoutAccountId: null }],
    ['reference_id', { referenceId: undefined }],
    ['reference_id', { referenceId: 'abc' }],
    ['passcode.token.code', { passcode: { ...passcode, token: { phone: '231771234567', code: '' } } }],
    ['passcode.token.phone', { passcode: { ...passcode, token: { phone: '+231771234567', code: SECRET_CODE } } }],
    ['passcode.device.client_ip', { passcode: { ...passcode, device: { ...passcode.device, client_ip: 'x' } } }],
    ['passcode', { passcode: undefined }],
  ])('refuses bad %s before any request', async (field, override) => {
    const input = { sessionId: 1, payoutAccountId: 2, referenceId: newReferenceId(), passcode, ...override };
    const error = await rejection(testClient(server.url).payout(input as Parameters<ReturnType<typeof testClient>['payout']>[0]));
    expect(error).toBeInstanceOf(DollrInputError);
    expect((error as DollrInputError).field).toBe(field);
    expect(JSON.stringify(error) + (error as Error).message).not.toContain(SECRET_CODE);
    expect(server.requests).toHaveLength(0);
  });

  it('throws DollrApiError for a 422 with issues, never exposing the passcode code or token', async () => {
    server.handle((req, res) => {
      const body = JSON.parse(req.body) as { passcode: unknown };
      sendJson(res, 422, {
        detail: [
          {
            loc: ['body', 'passcode', 'token', 'phone'],
            msg: 'String should have at most 15 characters',
            type: 'string_too_long',
            input: body.passcode,
          },
          { loc: ['body', 'passcode'], msg: `echo ${SECRET_CODE} ${req.headers.authorization}`, type: 'x' },
        ],
      });
    });
    const referenceId = newReferenceId();
    const error = await rejection(testClient(server.url).payout({ sessionId: 1, payoutAccountId: 2, referenceId, passcode }));
    expect(error).toBeInstanceOf(DollrApiError);
    const api = error as DollrApiError;
    expect(api.status).toBe(422);
    expect(api.referenceId).toBe(referenceId);
    expect(api.attempts).toBe(1);
    expect(api.message).toMatch(
      /^422 Unprocessable Entity: body\.passcode\.token\.phone: String should have at most 15 characters; body\.passcode: echo \[redacted\] Bearer \[redacted\]$/,
    );
    expect(api.issues[0]).toEqual({
      path: 'body.passcode.token.phone',
      message: 'String should have at most 15 characters',
      type: 'string_too_long',
    });
    const out = [api.message, api.stack, JSON.stringify(api), inspect(api, { depth: 20, showHidden: true })].join('\n');
    expect(out).not.toContain(SECRET_CODE);
    expect(out).not.toContain('static-token');
  });

  it('throws DollrApiError for other statuses with the detail', async () => {
    server.handle((_req, res) => sendJson(res, 403, { detail: 'Account not fully verified' }, { 'x-request-id': 'req-9' }));
    const error = (await rejection(
      testClient(server.url).payout({ sessionId: 1, payoutAccountId: 2, referenceId: newReferenceId(), passcode }),
    )) as DollrApiError;
    expect(error.message).toBe('403 Forbidden: Account not fully verified');
    expect(error.body).toEqual({ detail: 'Account not fully verified' });
    expect(error.headers.get('x-request-id')).toBe('req-9');
  });
});

describe('middleware', () => {
  it('a middleware can add a header, and onResponse never sees the bearer', async () => {
    const client = testClient(server.url);
    const seen: (string | null)[] = [];
    const middleware: Middleware = {
      onRequest({ request }) {
        request.headers.set('x-trace', 'abc');
        seen.push(request.headers.get('authorization'));
      },
      onResponse({ request }) {
        seen.push(request.headers.get('authorization'));
      },
    };
    client.use(middleware);
    const { response } = await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(200);
    expect(server.requests[0]?.headers['x-trace']).toBe('abc');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer static-token');
    expect(seen).toEqual([null, null]);
    client.eject(middleware);
    await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(server.requests[1]?.headers['x-trace']).toBeUndefined();
  });

  it('a middleware can read the body and return a new Request, which is re-sent byte-identically', async () => {
    // 429: refused, not processed, so the same bytes go again (no status lookup).
    const body = payoutBody();
    server.handle((req, res, index) => (index === 0 ? sendJson(res, 429, {}) : sendJson(res, 200, executionResponse(body.reference_id))));
    const client = testClient(server.url);
    let readBody = '';
    client.use({
      async onRequest({ request }) {
        readBody = await request.clone().text();
        const headers = new Headers(request.headers);
        headers.set('x-replaced', 'yes');
        return new Request(request.url, { method: request.method, headers, body: await request.text() });
      },
    });
    const { data, response } = await client.POST('/v1/executions/payout', { body });
    expect(response.status).toBe(200);
    expect(data?.reference_id).toBe(body.reference_id);
    expect(JSON.parse(readBody)).toEqual(body);
    expect(server.requests).toHaveLength(2);
    for (const sent of server.requests) {
      expect(sent.headers['x-replaced']).toBe('yes');
      expect(sent.headers.authorization).toBe('Bearer static-token');
      expect(sent.body).toBe(JSON.stringify(body));
    }
  });

  it('a bug below the middleware surfaces as itself, not as a lost response', async () => {
    const client = testClient(server.url);
    client.use({
      async onRequest({ request }) {
        const spent = new Request(request.url, { method: 'POST', headers: request.headers, body: await request.text() });
        await spent.text(); // a body already read cannot be cloned for a retry: a programming error
        return spent;
      },
    });
    const error = await postUntyped(client, '/v1/sessions/payout', { amount: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(DollrConnectionError);
    expect(server.requests).toHaveLength(0);
  });

  it('request.json() works for middleware that inspects the payload', async () => {
    const client = testClient(server.url);
    let referenceId: unknown;
    client.use({
      async onRequest({ request }) {
        referenceId = ((await request.json()) as { reference_id: string }).reference_id;
      },
    });
    const body = payoutBody();
    await client.POST('/v1/executions/payout', { body });
    expect(referenceId).toBe(body.reference_id);
  });
});

// The transport reads an execution's reference_id from the body text it sends (the checks of
// the 2xx and every status lookup use it). It skips a second JSON.parse only when the key
// appears once in JSON.stringify's compact form; these bodies must take the parse instead.
describe('the reference_id an execution is checked and looked up by is the body’s own', () => {
  type Init = { body: unknown; bodySerializer?: (body: unknown) => string };
  const postWith = (client: ReturnType<typeof testClient>, init: Init) =>
    (client.POST as unknown as (url: string, init: Init) => Promise<{ data?: { reference_id?: string }; error?: unknown }>)('/v1/executions/payout', init);
  const OTHER = '00000000-0000-4000-8000-000000000000';

  it('a pretty-printed body (a custom bodySerializer): its 2xx is accepted, nothing looked up', async () => {
    const body = payoutBody();
    const { data } = await postWith(testClient(server.url), { body, bodySerializer: (b) => JSON.stringify(b, null, 2) });
    expect(data?.reference_id).toBe(body.reference_id);
    expect(server.requests.map((r) => r.method)).toEqual(['POST']);
    expect(server.requests[0]?.body).toContain('"reference_id": ');
  });

  it('another object carrying a reference_id before the body’s own: the 2xx for the body’s id is accepted', async () => {
    const body = { meta: { reference_id: OTHER }, ...payoutBody() };
    const { data } = await postWith(testClient(server.url), { body });
    expect(data?.reference_id).toBe(body.reference_id);
    expect(server.requests.map((r) => r.method)).toEqual(['POST']);
  });

  it('… and after a 503 the status lookup asks for the body’s id, never the other one', async () => {
    const body = { meta: { reference_id: OTHER }, ...payoutBody() };
    server.handle((req, res) => {
      if (req.method === 'POST') sendJson(res, 503, { detail: 'busy' });
      else sendJson(res, 200, executionResponse(req.url.split('/').pop() ?? ''));
    });
    const { data } = await postWith(testClient(server.url), { body });
    expect(data?.reference_id).toBe(body.reference_id);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/executions/payout',
      `GET /v1/status/payout/${body.reference_id}`,
    ]);
  });
});
