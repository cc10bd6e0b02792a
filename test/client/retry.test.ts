// Retry behaviour against a real loopback server: what is repeated, what never is.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DollrApiError,
  DollrConnectionError,
  DollrTimeoutError,
  newReferenceId,
} from '../../src/index.js';
import type { DollrClient, DollrClientOptions, PayoutInput, PayoutRequest } from '../../src/index.js';
import type { Sandbox, SandboxFault } from '../../src/testing/index.js';
import { TOKEN_PATH, obtainToken, prepare, recorder, sandboxClient, startDollr } from '../reliability/helpers/dollr-sandbox.js';
import { closedPortUrl, executionResponse, sendJson, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { SECRET_CODE, passcode, payoutBody, postUntyped, testClient } from './helpers/fixtures.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.close());

/** Replies `statuses[i]` to the i-th request, then 200 with an ExecutionResponse. */
function script(statuses: number[], headers: Record<string, string> = {}) {
  server.handle((req, res, index) => {
    const status = statuses[index];
    if (status === undefined) {
      const body = JSON.parse(req.body) as { reference_id?: string };
      sendJson(res, 200, executionResponse(body.reference_id ?? 'none'));
    } else sendJson(res, status, { detail: `scripted ${status}` }, headers);
  });
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function neverAnswer(): void {
  server.handle(() => undefined); // the socket stays open with no reply
}

/**
 * Execution POSTs against Dollr: the sandbox (startSandbox) records executions by reference_id,
 * answers lookups (404 for an unknown id) and refuses a reused reference_id with 422; each test
 * injects the faults it needs. Its request log is what reached it; a recording fetch gives the
 * bytes. The client holds a token obtained beforehand, so the log holds only the calls under test.
 */
describe("execution POSTs follow Dollr's recovery rule", () => {
  let sandbox: Sandbox;
  let token: string;
  let setup: DollrClient;
  beforeAll(async () => {
    sandbox = await startDollr({ settleAfterMs: 600_000, passcode: { code: SECRET_CODE, phone: '231771234567' } });
    setup = sandboxClient(sandbox);
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    sandbox.reset();
    token = await obtainToken(sandbox);
  });

  const client = (options: Partial<DollrClientOptions> = {}) => testClient(sandbox.url, { auth: token, ...options });
  /** A payout the sandbox can process: a fresh session, the fixtures' passcode. */
  const newPayout = async (referenceId = newReferenceId()): Promise<PayoutInput> => {
    const { sessionId, accountId } = await prepare(setup, 'payout');
    return { sessionId, payoutAccountId: accountId, referenceId, passcode };
  };
  const bodyOf = (input: PayoutInput): PayoutRequest => ({
    session_id: String(input.sessionId),
    payout_account_id: String(input.payoutAccountId),
    reference_id: input.referenceId,
    passcode: input.passcode,
  });
  const onPost = (fault: SandboxFault, times = 1) => sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault, times });
  const onLookup = (fault: SandboxFault, times = 1) => sandbox.inject({ method: 'GET', path: '/v1/status/payout/{reference_id}', fault, times });
  const calls = (since = 0) =>
    sandbox
      .requests()
      .slice(since)
      .filter((r) => r.path !== TOKEN_PATH)
      .map((r) => `${r.method} ${r.path.replace(/[\da-f-]{36}$/, '{id}')}`);
  const POST_PAYOUT = 'POST /v1/executions/payout';
  const LOOKUP = 'GET /v1/status/payout/{id}';

  it.each([408, 500, 502, 503, 504])('after %i that never landed: looks it up (404), then re-sends the same bytes', async (status) => {
    const input = await newPayout();
    onPost({ status });
    const since = sandbox.requests().length;
    const rec = recorder();
    const result = await client({ fetch: rec.fetch }).payout(input);
    expect(result.reference_id).toBe(input.referenceId);
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT]);
    const [first, , second] = rec.sent;
    expect(second?.body.equals(first?.body ?? Buffer.alloc(0))).toBe(true);
    expect(JSON.parse(second?.body.toString('utf8') ?? '')).toMatchObject({
      session_id: String(input.sessionId),
      payout_account_id: String(input.payoutAccountId),
      reference_id: input.referenceId,
    });
    expect(sandbox.executions().map((e) => [e.referenceId, e.sends])).toEqual([[input.referenceId, 2]]);
  });

  it.each([
    ['reset-after', 'reset-after'],
    ['hang', { delayMs: 5_000 }],
  ] as const)('after %s of a processed payout: returns the looked-up status, one POST', async (_name, fault) => {
    const input = await newPayout();
    onPost(fault);
    const since = sandbox.requests().length;
    const { data, response } = await client({ timeoutMs: 200 }).POST('/v1/executions/payout', { body: bodyOf(input) });
    expect(response.status).toBe(200);
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP]);
    expect(data).toEqual(await setup.getExecution('payout', input.referenceId));
  });

  it('re-sends after 429 without a lookup (refused, not processed)', async () => {
    const input = await newPayout();
    onPost({ status: 429 });
    const since = sandbox.requests().length;
    const { response } = await client().POST('/v1/executions/payout', { body: bodyOf(input) });
    expect(response.status).toBe(200);
    expect(calls(since)).toEqual([POST_PAYOUT, POST_PAYOUT]);
  });

  it('gives up after maxRetries re-sends: DollrApiError with the last status and attempts', async () => {
    const input = await newPayout();
    onPost({ status: 503 }, 4);
    const since = sandbox.requests().length;
    const error = await catchError(client({ maxRetries: 2 }).payout(input));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect((error as DollrApiError).attempts).toBe(3);
    expect((error as DollrApiError).referenceId).toBe(input.referenceId);
    // Every unknown outcome is looked up, the last one too: a 503 that landed must not read as failed.
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP]);
    expect(sandbox.executions()).toEqual([]);
  });

  it('raw client.POST returns the last error response once the lookups prove it never landed', async () => {
    const input = await newPayout();
    onPost({ status: 503, body: { detail: 'scripted 503' } }, 3);
    const since = sandbox.requests().length;
    const { data, error, response } = await client({ maxRetries: 1 }).POST('/v1/executions/payout', { body: bodyOf(input) });
    expect(data).toBeUndefined();
    expect(error).toEqual({ detail: 'scripted 503' });
    expect(response.status).toBe(503);
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP]);
  });

  it('a timeout whose status cannot be looked up throws DollrTimeoutError: processed unknown, reference id, no re-send', async () => {
    const input = await newPayout();
    onPost({ delayMs: 5_000 });
    onLookup({ delayMs: 5_000 }, 3);
    const since = sandbox.requests().length;
    const error = await catchError(client({ timeoutMs: 50, maxRetries: 1 }).payout(input));
    expect(error).toBeInstanceOf(DollrTimeoutError);
    const timeout = error as DollrTimeoutError;
    expect(timeout.referenceId).toBe(input.referenceId);
    expect(timeout.attempts).toBe(1);
    expect(timeout.processed).toBe('unknown');
    expect(timeout.message).toMatch(/outcome is unknown: the execution may have been processed\. Look its status up/);
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP, LOOKUP, LOOKUP]);
  });

  // Issue 15 rule 5: a reset is an unknown outcome; a 404 lookup does not make it `false`
  // (a late landing stays possible).
  it('a reset whose lookup says 404, with no retries left, throws DollrConnectionError: processed unknown', async () => {
    const input = await newPayout();
    onPost('reset-before');
    const since = sandbox.requests().length;
    const error = await catchError(client({ maxRetries: 0 }).payout(input));
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect((error as DollrConnectionError).referenceId).toBe(input.referenceId);
    expect((error as DollrConnectionError).attempts).toBe(1);
    expect((error as DollrConnectionError).processed).toBe('unknown');
    expect((error as Error).message).toMatch(/a late landing is possible/);
    expect(JSON.stringify(error)).not.toContain(token);
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP]);
  });

  it('a re-send refused as a duplicate means an earlier attempt landed: returns its status', async () => {
    // The first attempt is processed but its answer is lost, and the lookup says 404 (a lagging
    // read): the re-send is refused as a duplicate, and the next lookup finds it.
    const input = await newPayout();
    onPost('reset-after');
    onLookup({ status: 404, body: { detail: 'Not Found' } });
    const since = sandbox.requests().length;
    const { data } = await client().POST('/v1/executions/payout', { body: bodyOf(input) });
    expect(calls(since)).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP]);
    expect(sandbox.requests().slice(since).map((r) => r.status)).toEqual([null, 404, 422, 200]);
    expect(data).toEqual(await setup.getExecution('payout', input.referenceId));
  });

  it('a first-attempt 422 on reference_id is final and says the id was used before', async () => {
    const input = await newPayout();
    await setup.payout(input);
    const since = sandbox.requests().length;
    const error = await catchError(client().payout(input));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(422);
    expect((error as Error).message).toMatch(/already used by an execution: look it up with getExecution/);
    expect(calls(since)).toEqual([POST_PAYOUT]);
  });

  it('never retries other 4xx', async () => {
    for (const status of [400, 403, 404, 409, 422]) {
      const body = bodyOf(await newPayout());
      onPost({ status }, 2);
      const since = sandbox.requests().length;
      const { response } = await client().POST('/v1/executions/payout', { body });
      expect(response.status).toBe(status);
      expect(calls(since)).toHaveLength(1);
      sandbox.reset();
    }
  });
});

describe('non-idempotent POSTs (sessions, accounts) are never repeated blindly', () => {
  it.each([500, 502, 503, 504, 408])('does not retry %i', async (status) => {
    script([status]);
    const { response } = await postUntyped(testClient(server.url), '/v1/sessions/payout', { amount: 5 });
    expect(response.status).toBe(status);
    expect(server.requests).toHaveLength(1);
  });

  it('retries 429', async () => {
    script([429], { 'retry-after': '0' });
    const { response } = await postUntyped(testClient(server.url), '/v1/sessions/payout', { amount: 5 });
    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a reset after sending and says the outcome is unknown', async () => {
    server.handle((_req, res) => {
      res.socket?.destroy();
    });
    const error = await catchError(postUntyped(testClient(server.url), '/v1/sessions/payout', { amount: 5 }));
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect(error).not.toBeInstanceOf(DollrTimeoutError);
    expect((error as Error).message).toMatch(/^POST \/v1\/sessions\/payout failed: .*outcome is unknown \(it may have been processed\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a timeout after sending', async () => {
    neverAnswer();
    const client = testClient(server.url, { timeoutMs: 50 });
    const error = await catchError(postUntyped(client, '/v1/accounts', { name: 'a' }));
    expect(error).toBeInstanceOf(DollrTimeoutError);
    expect((error as Error).message).toMatch(/timed out after 50 ms; the outcome is unknown/);
    expect((error as DollrTimeoutError).code).toBe('ETIMEDOUT');
    expect(server.requests).toHaveLength(1);
  });

  it('retries when the connection was refused (nothing was sent)', async () => {
    const url = await closedPortUrl();
    const client = testClient(url, { maxRetries: 2 });
    const error = await catchError(postUntyped(client, '/v1/sessions/payout', { amount: 5 }));
    expect(error).toBeInstanceOf(DollrConnectionError);
    const connection = error as DollrConnectionError;
    expect(connection.code).toBe('ECONNREFUSED');
    expect(connection.attempts).toBe(3);
    expect(connection.message).toMatch(/the request was not sent/);
    expect(connection.cause).toBeInstanceOf(Error);
  });

  it('treats DNS failures reported by fetch as not sent', async () => {
    let calls = 0;
    const failingFetch = () => {
      calls++;
      return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }) }));
    };
    const client = testClient('https://api.heydollr.app', { fetch: failingFetch, maxRetries: 1 });
    const error = await catchError(postUntyped(client, '/v1/sessions/payout', {}));
    expect((error as DollrConnectionError).code).toBe('ENOTFOUND');
    expect(calls).toBe(2);
  });

  it.each([
    ['ECONNREFUSED', 'tcp connect error: Connection refused (os error 111)'],
    ['ENOTFOUND', 'dns error: failed to lookup address information: Name or service not known'],
  ])("reads Deno's code-less connect failures as not sent (%s)", async (code, detail) => {
    let calls = 0;
    const denoLike = () => {
      calls++;
      const cause = new Error(`error sending request for url (https://api.heydollr.app/v1/sessions/payout): client error (Connect): ${detail}`);
      return Promise.reject(new TypeError('fetch failed', { cause }));
    };
    const client = testClient('https://api.heydollr.app', { fetch: denoLike, maxRetries: 1 });
    const error = await catchError(postUntyped(client, '/v1/sessions/payout', {}));
    expect((error as DollrConnectionError).code).toBe(code);
    expect((error as DollrConnectionError).processed).toBe(false);
    expect(calls).toBe(2);
  });

  it('does not read a failure after connecting as not sent, whatever its words', async () => {
    let calls = 0;
    const lost = () => {
      calls++;
      const cause = new Error('error sending request: connection closed before message completed (Connection refused earlier)');
      return Promise.reject(new TypeError('fetch failed', { cause }));
    };
    const client = testClient('https://api.heydollr.app', { fetch: lost, maxRetries: 1 });
    const error = await catchError(postUntyped(client, '/v1/sessions/payout', {}));
    expect((error as DollrConnectionError).processed).toBe('unknown');
    expect(calls).toBe(1);
  });
});

describe('GET and other safe methods', () => {
  it('retries a 500 on GET', async () => {
    server.handle((_req, res, index) => (index === 0 ? sendJson(res, 500, {}) : sendJson(res, 200, { ok: true })));
    const client = testClient(server.url);
    const get = client.GET as unknown as (url: string) => Promise<{ data?: unknown; response: Response }>;
    const { data } = await get('/v1/status/payout/abc');
    expect(data).toEqual({ ok: true });
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
  });
});

describe('Retry-After', () => {
  it('waits the seconds the server asks for', async () => {
    script([429], { 'retry-after': '1' });
    const started = Date.now();
    const { response } = await testClient(server.url).POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('accepts an HTTP date', async () => {
    script([429], { 'retry-after': new Date(Date.now() + 1500).toUTCString() });
    const started = Date.now();
    const { response } = await testClient(server.url).POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(200);
    // Second resolution of HTTP dates: at least a few hundred ms remain.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('does not come back sooner than asked: past the cap the 429 is returned', async () => {
    script([429], { 'retry-after': '120' });
    const client = testClient(server.url, { backoff: { maxRetryAfterMs: 10_000 } });
    const referenceId = newReferenceId();
    const error = await catchError(client.payout({ sessionId: 1, payoutAccountId: 2, referenceId, passcode }));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(429);
    expect((error as DollrApiError).headers.get('retry-after')).toBe('120');
    expect((error as DollrApiError).referenceId).toBe(referenceId);
    expect(server.requests).toHaveLength(1);
  });
});

describe('abort', () => {
  it('rejects at once with the signal reason and does not retry', async () => {
    neverAnswer();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const promise = testClient(server.url).payout(
      { sessionId: 1, payoutAccountId: 2, referenceId: newReferenceId(), passcode },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(reason), 30);
    await expect(promise).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a non-idempotent POST with the reason, not a connection error', async () => {
    neverAnswer();
    const controller = new AbortController();
    const reason = new Error('user navigated away');
    const promise = postUntyped(testClient(server.url), '/v1/sessions/payout', { amount: 5 }, controller.signal);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when already aborted', async () => {
    script([]);
    const controller = new AbortController();
    controller.abort();
    const error = await catchError(
      testClient(server.url).POST('/v1/executions/payout', { body: payoutBody(), signal: controller.signal }),
    );
    expect((error as Error).name).toBe('AbortError');
    expect(server.requests).toHaveLength(0);
  });

  it('interrupts a backoff wait', async () => {
    script([503, 503, 503]);
    const client = testClient(server.url, { backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const controller = new AbortController();
    const promise = client.POST('/v1/executions/payout', { body: payoutBody(), signal: controller.signal });
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('stop'));
    await expect(promise).rejects.toThrow('stop');
    expect(server.requests).toHaveLength(1);
  });
});
