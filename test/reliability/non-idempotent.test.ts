// A POST that can create something (POST /v1/sessions/payout) must never be re-sent
// once it may have reached the server, and must be re-sent when it provably never left.
// Against the sandbox: its request log shows every request that reached it, and a
// 'reset-after' fault processes the POST (the session is created) before cutting the answer.
//
// The body goes through an untyped view of the very same `client.POST` (the guarded wrapper
// over openapi-fetch and the retrying transport), so the test does not depend on how the
// generated types spell the session body.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DollrConnectionError } from '../../src/index.js';
import type { DollrClient } from '../../src/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { TOKEN_PATH, prepare, recorder, sandboxClient, startDollr } from './helpers/dollr-sandbox.js';
import { makeClient } from './helpers/fixtures.js';
import { closedPort, refuseFirst } from './helpers/refused-port.js';
import { createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

const SESSIONS_PATH = '/v1/sessions/payout';

type UntypedPost = (path: string, init: { body: unknown }) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
const untypedPost = (client: DollrClient): UntypedPost => client.POST as unknown as UntypedPost;

const errors = createErrorCollector();
let sandbox: Sandbox;
/** A body the sandbox accepts: a session for a payout account it knows. */
let sessionBody: { payout_account_id: number; amount: number; currency: string };

beforeAll(async () => {
  sandbox = await startDollr();
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.reset();
  const { accountId } = await prepare(sandboxClient(sandbox), 'payout');
  sessionBody = { payout_account_id: accountId, amount: 10, currency: 'USD' };
});

/** What reached the sandbox from `since` on, token requests aside. */
const seen = (since: number): string[] =>
  sandbox
    .requests()
    .slice(since)
    .filter((r) => r.path !== TOKEN_PATH)
    .map((r) => `${r.method} ${r.path} ${r.status ?? 'reset'}${r.fault ? ` ${r.fault}` : ''}`);

describe('non-idempotent POST /v1/sessions/payout', () => {
  it('is not retried when the connection resets after the server processed it', async () => {
    sandbox.inject({ method: 'POST', path: SESSIONS_PATH, fault: 'reset-after' });
    const since = sandbox.requests().length;
    const rec = recorder();
    const client = sandboxClient(sandbox, { fetch: rec.fetch });
    const error = await errors.rejection(untypedPost(client)(SESSIONS_PATH, { body: sessionBody }));

    // Processed (reset-after acts after the session is created), answered never, sent once.
    expect(seen(since)).toEqual([`POST ${SESSIONS_PATH} reset reset-after`]);
    const posts = rec.sent.filter((r) => r.path === SESSIONS_PATH);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body.toString('utf8')).toBe(JSON.stringify(sessionBody));
    expect(error).toBeInstanceOf(DollrConnectionError);
    const e = error as DollrConnectionError;
    expect(e.attempts).toBe(1);
    expect(e.processed).toBe('unknown');
    expect(e.referenceId).toBeUndefined();
    expect(e.message).toContain('POST /v1/sessions/payout');
    expect(e.message).toMatch(/outcome is unknown/);
    expect(e.message).toMatch(/not retried/);
    // Not an execution: no status lookup, nothing but the one POST (and the token request).
    expect(rec.sent.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${TOKEN_PATH}`, `POST ${SESSIONS_PATH}`]);
  });

  it('is not retried on a 503 either (the server may have acted before failing)', async () => {
    sandbox.inject({ method: 'POST', path: SESSIONS_PATH, fault: { status: 503, body: { detail: 'unavailable' } }, times: 5 });
    const since = sandbox.requests().length;
    const { error, response } = await untypedPost(sandboxClient(sandbox))(SESSIONS_PATH, { body: sessionBody });
    expect(seen(since)).toEqual([`POST ${SESSIONS_PATH} 503 status 503`]);
    expect(response.status).toBe(503);
    expect(error).toEqual({ detail: 'unavailable' });
  });

  it('is retried while the connection is refused (the request provably never left), then lands once', async () => {
    // Attempt 1 goes to a closed port (the OS refuses it); the proof that it was retried is
    // that the sandbox then receives exactly one request, with the same bytes.
    const refused = await refuseFirst('POST', SESSIONS_PATH);
    const since = sandbox.requests().length;
    const client = sandboxClient(sandbox, { fetch: refused.fetch, backoff: { initialDelayMs: 20, maxDelayMs: 50 } });
    const { data, response } = await untypedPost(client)(SESSIONS_PATH, { body: sessionBody });
    expect(refused.attempts.map((a) => a.refused)).toEqual([true, false]);
    for (const attempt of refused.attempts) expect(attempt.body.toString('utf8')).toBe(JSON.stringify(sessionBody));
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ payout_account_id: sessionBody.payout_account_id, amount: 10, currency: 'USD' });
    expect(seen(since)).toEqual([`POST ${SESSIONS_PATH} 200`]);
  });

  it('refused on every attempt: retried maxRetries times, then says it was not sent', async () => {
    const port = await closedPort();
    let calls = 0;
    const countingFetch: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    // A static token: no token request, so every call is the POST itself.
    const client = makeClient(`http://127.0.0.1:${port}`, 'static', { fetch: countingFetch });
    const error = await errors.rejection(untypedPost(client)(SESSIONS_PATH, { body: sessionBody }));
    expect(error).toBeInstanceOf(DollrConnectionError);
    const e = error as DollrConnectionError;
    expect(calls).toBe(3);
    expect(e.attempts).toBe(3);
    expect(e.code).toBe('ECONNREFUSED');
    expect(e.processed).toBe(false);
    expect(e.message).toMatch(/was not sent/);
  });
});

describe('errors from non-idempotent POSTs', () => {
  it('carry no secrets in any rendering', () => {
    expectNoSecrets(errors.errors, 2);
  });
});
