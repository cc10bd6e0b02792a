// Retry behaviour against a real loopback server: what is repeated, what never is.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DollrApiError,
  DollrConnectionError,
  DollrTimeoutError,
  newReferenceId,
} from '../../src/index.js';
import { closedPortUrl, executionResponse, sendJson, startTestServer } from './helpers/server.js';
import type { TestServer } from './helpers/server.js';
import { passcode, payoutBody, postUntyped, testClient } from './helpers/fixtures.js';

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

type Step = number | 'reset-before' | 'reset-after' | 'hang';

/**
 * A Dollr-like payout endpoint: the i-th execution POST does `steps[i]` (a status answered
 * without processing, a reset before or after processing, or processing with no answer), later ones
 * are processed and answered 200; a reused reference_id gets 422. Status lookups answer what
 * was processed, 404 otherwise (or `lookups[j]` for the j-th lookup when scripted).
 */
function dollrLike(steps: Step[], lookups: Step[] = []) {
  const processed = new Map<string, ReturnType<typeof executionResponse>>();
  let posts = 0;
  let gets = 0;
  server.handle((req, res) => {
    if (req.method === 'GET') {
      const step = lookups[gets++];
      if (step === 'hang') return;
      if (typeof step === 'number') return sendJson(res, step, { detail: `scripted ${step}` });
      const found = processed.get(decodeURIComponent(req.url.split('/').pop() ?? ''));
      return found ? sendJson(res, 200, found) : sendJson(res, 404, { detail: 'Not Found' });
    }
    const step = steps[posts++];
    const referenceId = (JSON.parse(req.body) as { reference_id: string }).reference_id;
    if (step === 'reset-before') return void res.socket?.destroy();
    if (processed.has(referenceId)) {
      return sendJson(res, 422, { detail: [{ loc: ['body', 'reference_id'], msg: 'already exists', type: 'value_error' }] });
    }
    if (typeof step === 'number') return sendJson(res, step, { detail: `scripted ${step}` });
    processed.set(referenceId, executionResponse(referenceId));
    if (step === 'hang') return; // processed, but the answer never comes
    if (step === 'reset-after') return void res.socket?.destroy();
    sendJson(res, 200, processed.get(referenceId));
  });
  return processed;
}

const calls = () => server.requests.map((r) => `${r.method} ${r.url.replace(/[\da-f-]{36}$/, '{id}')}`);
const POST_PAYOUT = 'POST /v1/executions/payout';
const LOOKUP = 'GET /v1/status/payout/{id}';

describe('execution POSTs follow Dollr\'s recovery rule', () => {
  it.each([408, 500, 502, 503, 504])('after %i that never landed: looks it up (404), then re-sends the same bytes', async (status) => {
    dollrLike([status]);
    const referenceId = newReferenceId();
    const result = await testClient(server.url).payout({ sessionId: 42, payoutAccountId: 18, referenceId, passcode });
    expect(result.reference_id).toBe(referenceId);
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT]);
    const [first, , second] = server.requests;
    expect(second?.body).toBe(first?.body);
    expect(JSON.parse(second?.body ?? '')).toMatchObject({ session_id: '42', payout_account_id: '18', reference_id: referenceId });
  });

  it.each(['reset-after', 'hang'] as const)('after %s of a processed payout: returns the looked-up status, one POST', async (step) => {
    const processed = dollrLike([step]);
    const body = payoutBody();
    const { data, response } = await testClient(server.url, { timeoutMs: 200 }).POST('/v1/executions/payout', { body });
    expect(response.status).toBe(200);
    expect(data).toEqual(processed.get(body.reference_id));
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP]);
  });

  it('re-sends after 429 without a lookup (refused, not processed)', async () => {
    dollrLike([429]);
    const { response } = await testClient(server.url).POST('/v1/executions/payout', { body: payoutBody() });
    expect(response.status).toBe(200);
    expect(calls()).toEqual([POST_PAYOUT, POST_PAYOUT]);
  });

  it('gives up after maxRetries re-sends: DollrApiError with the last status and attempts', async () => {
    dollrLike([503, 503, 503, 503]);
    const client = testClient(server.url, { maxRetries: 2 });
    const referenceId = newReferenceId();
    const error = await catchError(client.payout({ sessionId: 1, payoutAccountId: 2, referenceId, passcode }));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect((error as DollrApiError).attempts).toBe(3);
    expect((error as DollrApiError).referenceId).toBe(referenceId);
    // Every unknown outcome is looked up, the last one too: a 503 that landed must not read as failed.
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP]);
  });

  it('raw client.POST returns the last error response once the lookups prove it never landed', async () => {
    dollrLike([503, 503, 503]);
    const client = testClient(server.url, { maxRetries: 1 });
    const { data, error, response } = await client.POST('/v1/executions/payout', { body: payoutBody() });
    expect(data).toBeUndefined();
    expect(error).toEqual({ detail: 'scripted 503' });
    expect(response.status).toBe(503);
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP]);
  });

  it('a timeout whose status cannot be looked up throws DollrTimeoutError: processed unknown, reference id, no re-send', async () => {
    dollrLike(['hang'], ['hang', 'hang', 'hang']);
    const client = testClient(server.url, { timeoutMs: 50, maxRetries: 1 });
    const referenceId = newReferenceId();
    const error = await catchError(client.payout({ sessionId: 1, payoutAccountId: 2, referenceId, passcode }));
    expect(error).toBeInstanceOf(DollrTimeoutError);
    const timeout = error as DollrTimeoutError;
    expect(timeout.referenceId).toBe(referenceId);
    expect(timeout.attempts).toBe(1);
    expect(timeout.processed).toBe('unknown');
    expect(timeout.message).toMatch(/outcome is unknown: the execution may have been processed\. Look its status up/);
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP, LOOKUP, LOOKUP]);
  });

  // Issue 15 rule 5: a reset is an unknown outcome; a 404 lookup does not make it `false`
  // (a late landing stays possible). This row said `processed: false` before.
  it('a reset whose lookup says 404, with no retries left, throws DollrConnectionError: processed unknown', async () => {
    dollrLike(['reset-before']);
    const referenceId = newReferenceId();
    const error = await catchError(
      testClient(server.url, { maxRetries: 0 }).payout({ sessionId: 1, payoutAccountId: 2, referenceId, passcode }),
    );
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect((error as DollrConnectionError).referenceId).toBe(referenceId);
    expect((error as DollrConnectionError).attempts).toBe(1);
    expect((error as DollrConnectionError).processed).toBe('unknown');
    expect((error as Error).message).toMatch(/a late landing is possible/);
    expect(JSON.stringify(error)).not.toContain('static-token');
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP]);
  });

  it('a re-send refused as a duplicate means an earlier attempt landed: returns its status', async () => {
    // The first attempt is processed but its answer is lost, and the lookup fails once
    // before saying 404 (a lagging read): the re-send is refused as a duplicate.
    const processed = new Map<string, ReturnType<typeof executionResponse>>();
    let lookups = 0;
    server.handle((req, res, index) => {
      if (req.method === 'GET') {
        const id = decodeURIComponent(req.url.split('/').pop() ?? '');
        if (lookups++ === 0) return sendJson(res, 404, { detail: 'Not Found' });
        return sendJson(res, 200, processed.get(id));
      }
      const id = (JSON.parse(req.body) as { reference_id: string }).reference_id;
      if (index === 0) {
        processed.set(id, executionResponse(id, 'PROCESSING'));
        return void res.socket?.destroy();
      }
      sendJson(res, 422, { detail: [{ loc: ['body', 'reference_id'], msg: 'already exists', type: 'value_error' }] });
    });
    const body = payoutBody();
    const { data } = await testClient(server.url).POST('/v1/executions/payout', { body });
    expect(data).toEqual(processed.get(body.reference_id));
    expect(calls()).toEqual([POST_PAYOUT, LOOKUP, POST_PAYOUT, LOOKUP]);
  });

  it('a first-attempt 422 on reference_id is final and says the id was used before', async () => {
    const processed = dollrLike([]);
    const referenceId = newReferenceId();
    processed.set(referenceId, executionResponse(referenceId));
    const error = await catchError(testClient(server.url).payout({ sessionId: 1, payoutAccountId: 2, referenceId, passcode }));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(422);
    expect((error as Error).message).toMatch(/already used by an execution: look it up with getExecution/);
    expect(calls()).toEqual([POST_PAYOUT]);
  });

  it('never retries other 4xx', async () => {
    for (const status of [400, 403, 404, 409, 422]) {
      server.requests.length = 0;
      script([status, status]);
      const { response } = await testClient(server.url).POST('/v1/executions/payout', { body: payoutBody() });
      expect(response.status).toBe(status);
      expect(server.requests).toHaveLength(1);
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
    expect((error as Error).message).toMatch(/^POST \/v1\/sessions\/payout failed: .*outcome is unknown \(the request may have been processed\)/);
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
