// Secret hygiene under hostile responses: servers that echo the passcode code, the
// client secret or the bearer token back. Every error the client produces must show
// none of them in its message, cause chain, JSON or deep inspect. (The other suites
// run the same check over the errors they produce.)
//
// Dollr is the sandbox: it issues tokens, records executions, answers lookups, and takes the
// faults of each row; bodies that echo secrets known in advance (the passcode code, the client
// secret) are its `{ status, body }` faults. Echoing what only the request carries (the bearer
// token the client was issued, the request body) is what no server claiming to be Dollr does:
// that is a hostile gateway (helpers/hostile-server.ts) in front of the sandbox, which forwards
// every request and rewrites the error answers it is told to.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrError, DollrTimeoutError, createPasscode, newReferenceId, serverDevice } from '../../src/index.js';
import type { DollrClientOptions, Logger, PayoutInput } from '../../src/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { TOKEN_PATH, bodyFor, obtainToken, payoutInputFor, prepare, recorder, sandboxClient, startDollr, statusPath } from './helpers/dollr-sandbox.js';
import type { Recorder, Sent } from './helpers/dollr-sandbox.js';
import { payoutInput, rawBody } from './helpers/fixtures.js';
import { json, startHostileServer } from './helpers/hostile-server.js';
import type { HostileServer, Seen } from './helpers/hostile-server.js';
import { CLIENT_SECRET, PASSCODE_CODE, SECRETS, createErrorCollector, expectNoSecrets, renderings } from './helpers/secrets.js';

const PAYOUT_PATH = '/v1/executions/payout';
const errors = createErrorCollector();

/** How the gateway rewrites one answer of the sandbox; undefined passes it on as is. */
type Rewrite = (req: Seen, upstream: { status: number; body: unknown }) => { status: number; body: unknown } | undefined;

let sandbox: Sandbox;
let gateway: HostileServer;
let rewrite: Rewrite = () => undefined;

beforeAll(async () => {
  // Executions settle after 300 ms: long enough to be found PENDING, short enough to wait for.
  [sandbox, gateway] = await Promise.all([startDollr({ settleAfterMs: 300 }), startHostileServer()]);
  gateway.handle(async (req, res) => {
    const headers = new Headers();
    for (const name of ['authorization', 'content-type']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    let upstream: Response;
    try {
      upstream = await fetch(`${sandbox.url}${req.path}`, { method: req.method, headers, body: req.body === '' ? undefined : req.body, redirect: 'manual' });
    } catch {
      // The sandbox cut the connection (a reset fault): so does the gateway.
      res.destroy();
      return;
    }
    const text = await upstream.text();
    const body: unknown = text === '' ? undefined : (JSON.parse(text) as unknown);
    const rewritten = rewrite(req, { status: upstream.status, body });
    const retryAfter = upstream.headers.get('retry-after');
    json(res, rewritten?.status ?? upstream.status, rewritten ? rewritten.body : body, retryAfter ? { 'retry-after': retryAfter } : {});
  });
});
afterAll(() => Promise.all([sandbox.close(), gateway.close()]));
beforeEach(() => {
  sandbox.reset();
  rewrite = () => undefined;
});

/** A client of the gateway with the sandbox's credentials, recording what it sends. */
function makeClient(options: Partial<DollrClientOptions> = {}): { client: ReturnType<typeof sandboxClient>; rec: Recorder } {
  const rec = recorder();
  return { client: sandboxClient({ url: gateway.url } as Sandbox, { fetch: rec.fetch, ...options }), rec };
}

const sentTo = (rec: Recorder, path: string): Sent[] => rec.sent.filter((r) => r.path === path);

/** The bearer token the request carried, as the gateway saw it. */
function bearerOf(req: Seen): string {
  return (req.headers.authorization ?? '').replace(/^Bearer /, '');
}

/** A valid payout for the sandbox (a fresh session). */
async function payout(): Promise<PayoutInput> {
  return payoutInputFor(await prepare(sandboxClient(sandbox), 'payout'), newReferenceId());
}

/** A FastAPI 422 issue that echoes the submitted passcode code, in `input` and in `msg`. */
const echoedCodeIssue = {
  loc: ['body', 'passcode', 'token', 'code'],
  msg: `Value error, passcode ${PASSCODE_CODE} is not valid for this merchant`,
  type: 'value_error',
  input: PASSCODE_CODE,
};

describe('errors built from hostile responses', () => {
  it('422 echoing the passcode code in detail[].input (FastAPI) and in msg', async () => {
    sandbox.inject({
      method: 'POST',
      path: PAYOUT_PATH,
      fault: {
        status: 422,
        body: {
          detail: [
            { ...echoedCodeIssue, ctx: { given: PASSCODE_CODE } },
            // A body-level error: FastAPI puts the whole submitted body in `input`.
            { loc: ['body'], msg: 'Invalid body', type: 'model_attributes_type', input: { passcode: { token: { code: PASSCODE_CODE } } } },
          ],
        },
      },
      times: 5,
    });
    const { client, rec } = makeClient();
    const error = (await errors.rejection(client.payout(payoutInput()))) as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.status).toBe(422);
    expect(error.issues.map((i) => i.path)).toEqual(['body.passcode.token.code', 'body']);
    expect(error.message).toContain('body.passcode.token.code: Value error, passcode [redacted] is not valid');
    expect(sentTo(rec, PAYOUT_PATH)[0]?.body.toString('utf8')).toContain(PASSCODE_CODE); // it was really sent
    expectNoSecrets([error], 1);
  });

  it('raw client.POST: a 422 echoing the passcode code comes back scrubbed, still parsed', async () => {
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 422, body: { detail: [echoedCodeIssue] } }, times: 5 });
    const { client, rec } = makeClient();
    const { error, response } = await client.POST('/v1/executions/payout', { body: rawBody() });
    expect(response.status).toBe(422);
    expect(sentTo(rec, PAYOUT_PATH)[0]?.body.toString('utf8')).toContain(PASSCODE_CODE); // it was really sent
    expect(error).toEqual({
      detail: [
        {
          loc: ['body', 'passcode', 'token', 'code'],
          msg: 'Value error, passcode [redacted] is not valid for this merchant',
          type: 'value_error',
        },
      ],
    });
    expect(JSON.stringify(error)).not.toContain(PASSCODE_CODE);
  });

  it('token endpoint 401 echoing the client secret', async () => {
    // Echoes the token request's body: the client_secret.
    rewrite = (req) => (req.path === TOKEN_PATH ? { status: 401, body: { detail: `invalid client: ${req.body}` } } : undefined);
    const { client, rec } = makeClient();
    const viaPayout = await errors.rejection(client.payout(payoutInput()));
    const viaRaw = await errors.rejection(client.POST('/v1/executions/payout', { body: rawBody() }));
    for (const error of [viaPayout, viaRaw]) {
      expect(error).toBeInstanceOf(DollrApiError);
      expect((error as DollrApiError).status).toBe(401);
      expect((error as DollrApiError).message).toMatch(/^Obtaining an access token failed: 401/);
      expect((error as DollrApiError).message).toContain('[redacted]');
    }
    expect(sentTo(rec, TOKEN_PATH).length).toBeGreaterThanOrEqual(2);
    expect(sentTo(rec, TOKEN_PATH)[0]?.body.toString('utf8')).toContain(CLIENT_SECRET);
    expect(sentTo(rec, PAYOUT_PATH)).toHaveLength(0);
    expect(sandbox.requests().filter((r) => r.path === PAYOUT_PATH)).toHaveLength(0);
    expectNoSecrets([viaPayout, viaRaw], 2);
  });

  it('500 echoing the bearer token, the client secret and the passcode code', async () => {
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 500 }, times: 10 });
    rewrite = (req, up) =>
      up.status === 500
        ? {
            status: 500,
            body: {
              detail: `upstream rejected token ${bearerOf(req)} (client ${CLIENT_SECRET}) passcode ${PASSCODE_CODE}`,
              debug: { authorization: req.headers.authorization, body: req.body },
            },
          }
        : undefined;
    const { client, rec } = makeClient();
    const error = (await errors.rejection(client.payout(await payout()))) as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.attempts).toBe(3);
    expect(sentTo(rec, PAYOUT_PATH)).toHaveLength(3);
    expect(sandbox.requests().filter((r) => r.path === PAYOUT_PATH)).toHaveLength(3);
    expectNoSecrets([error], 1);
    expectNoneOf(rec.tokens, [error]);
  });

  it('401 on the execution after a refresh, body echoing the new token', async () => {
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 401 }, times: 10 });
    rewrite = (req, up) => (up.status === 401 ? { status: 401, body: { detail: `Could not validate credentials: ${bearerOf(req)}` } } : undefined);
    const { client, rec } = makeClient();
    const input = await payout();
    const since = sandbox.requests().length;
    const error = (await errors.rejection(client.payout(input))) as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.status).toBe(401);
    expect(rec.tokens).toHaveLength(2);
    expect(sandbox.requests().slice(since).filter((r) => r.path === TOKEN_PATH)).toHaveLength(2);
    expectNoSecrets([error], 1);
    expectNoneOf(rec.tokens, [error]);
  });

  it('token endpoint answering 200 without a usable token', async () => {
    sandbox.inject({ method: 'POST', path: TOKEN_PATH, fault: { status: 200, body: { access_token: `${CLIENT_SECRET} has spaces`, expires_in: 10 } }, times: 10 });
    const { client } = makeClient();
    const error = await errors.rejection(client.payout(payoutInput()));
    expect(error).toBeInstanceOf(DollrError);
    expect((error as Error).message).toMatch(/no usable access_token/);
    expectNoSecrets([error], 1);
  });

  it('token endpoint resetting the connection, and executions whose outcome stays unknown (reset, timeout)', async () => {
    sandbox.inject({ method: 'POST', path: TOKEN_PATH, fault: 'reset-after', times: 10 });
    const tokenFailure = await errors.rejection(makeClient().client.payout(payoutInput()));
    expect(tokenFailure).toBeInstanceOf(DollrConnectionError);
    expect((tokenFailure as Error).message).toContain('/v1/jwt/client/obtain/token');

    sandbox.reset();
    // Processed, answer lost, and the status lookups cannot tell either.
    const input = await payout();
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: 'reset-after', times: 10 });
    sandbox.inject({ method: 'GET', path: statusPath('payout', input.referenceId), fault: 'reset-before', times: 10 });
    const lost = makeClient();
    const reset = await errors.rejection(lost.client.payout(input));
    expect(reset).toBeInstanceOf(DollrConnectionError);
    expect((reset as DollrConnectionError).processed).toBe('unknown');
    expect(sandbox.executions().map((e) => e.referenceId)).toEqual([input.referenceId]);

    // A token obtained beforehand: the 100 ms deadline is the POST's alone.
    sandbox.reset();
    const token = await obtainToken(sandbox);
    const referenceId = newReferenceId();
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { delayMs: 500 }, times: 10 });
    const timeout = await errors.rejection(
      makeClient({ auth: token, timeoutMs: 100, maxRetries: 0 }).client.POST('/v1/executions/payout', { body: rawBody(referenceId) }),
    );
    expect(timeout).toBeInstanceOf(DollrTimeoutError);
    expect((timeout as DollrTimeoutError).referenceId).toBe(referenceId);
    expect((timeout as DollrTimeoutError).processed).toBe('unknown');
    expectNoSecrets([tokenFailure, reset, timeout], 3);
    expectNoneOf([...lost.rec.tokens, token], [tokenFailure, reset, timeout]);
  });
});

/** No error shows any of `tokens` (tokens the sandbox issued) in any rendering. */
function expectNoneOf(tokens: readonly string[], list: readonly unknown[]): void {
  expect(tokens.length).toBeGreaterThan(0);
  const leaks = list.flatMap((error, i) =>
    Object.entries(renderings(error)).flatMap(([how, text]) => tokens.filter((t) => text.includes(t)).map(() => `error #${i} leaks a token via ${how}`)),
  );
  expect(leaks).toEqual([]);
}

/** A logger that keeps every line (and any extra argument) it is given, with its level. */
function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (message: string, ...rest: unknown[]): void => {
      lines.push([`${level} ${message}`, ...rest.map((r) => JSON.stringify(r) ?? String(r))].join(' '));
    };
  return { logger: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }, lines };
}

describe('logger output at debug across a faulty run', () => {
  it('shows attempts, retries, lookups and renewals, and never a token, the client secret, the passcode code or a body', async () => {
    const { logger, lines } = captureLogger();
    const { client, rec } = makeClient({ logger, logLevel: 'debug' });
    /**
     * Hostile gateway: error bodies echo the bearer token, the client secret and the passcode
     * code, and carry BODY_MARK, so any body text reaching a log line is caught by name.
     */
    const BODY_MARK = 'srv-body-7f3a';
    const echo = (req: Seen) => ({
      detail: `${BODY_MARK} token ${req.headers.authorization ?? ''} client ${CLIENT_SECRET} code ${PASSCODE_CODE}`,
    });
    rewrite = (req, up) => (up.status >= 400 ? { status: up.status, body: { ...(up.body as object), ...echo(req), debug: echo(req).detail } } : undefined);
    const settle = (promise: Promise<unknown>) => promise.catch((e: unknown) => errors.add(e));
    const lookupOf = (input: { referenceId: string }) => statusPath('payout', input.referenceId);

    // 1. processed, answer lost; the first lookup fails (echoing), the second finds it.
    let input = await payout();
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: 'reset-after' });
    sandbox.inject({ method: 'GET', path: lookupOf(input), fault: { status: 503 } });
    await settle(client.payout(input));
    // 2. processed, then a 503 echoing secrets: found.
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 503, processed: true } });
    await settle(client.payout(await payout()));
    // 3. a 503 (echoing) before processing: not found, re-sent.
    const transfer = await prepare(sandboxClient(sandbox), 'transfer');
    sandbox.inject({ method: 'POST', path: '/v1/executions/transfer', fault: { status: 503 } });
    await settle(client.execute('transfer', bodyFor(transfer, newReferenceId()) as { session_id: string; reference_id: string }));
    // 4. a 422 echoing the passcode code in detail[].input and msg.
    sandbox.inject({
      method: 'POST',
      path: PAYOUT_PATH,
      fault: {
        status: 422,
        body: { detail: [{ loc: ['body', 'passcode', 'token', 'code'], msg: `Value error, ${PASSCODE_CODE} refused`, type: 'value_error', input: PASSCODE_CODE }] },
      },
    });
    await settle(client.payout(await payout()));
    // 5. the token is refused: 401 echoing it, one renewal, re-sent.
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 401 } });
    await settle(client.payout(await payout()));
    // 6. budget spent: processed, lost, and every lookup fails.
    input = await payout();
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: 'reset-after' });
    sandbox.inject({ method: 'GET', path: lookupOf(input), fault: { status: 500 }, times: 3 });
    await settle(client.payout(input));
    // 7. waiting: a lookup 503 echoing the token, then PENDING, then COMPLETED (settles after 300 ms).
    const waited = await payout();
    await sandboxClient(sandbox).payout(waited);
    sandbox.inject({ method: 'GET', path: lookupOf(waited), fault: { status: 503 } });
    await settle(client.waitForExecution('payout', waited.referenceId, { pollIntervalMs: 10, maxWaitMs: 10_000 }));

    const tokens = rec.tokens;
    expect(tokens.length).toBe(2);
    const secrets = [PASSCODE_CODE, CLIENT_SECRET, ...tokens, ...SECRETS];
    // Soft: a leak is reported, and the checks below still run.
    const leaks = lines.filter((line) => secrets.some((secret) => line.includes(secret)));
    expect.soft(leaks).toEqual([]);
    // Never a body: no response body text (BODY_MARK), no JSON, no request field or value.
    const bodyish = lines.filter((line) =>
      new RegExp(`${BODY_MARK}|[{}"]|session_id|payout_account_id|231771234567|reliability-suite|203\\.0\\.113\\.10`).test(line),
    );
    expect.soft(bodyish).toEqual([]);
    // Every line is the client's own, and the run was really visible at debug and info.
    expect(lines.every((line) => / dollr: /.test(line))).toBe(true);
    const debug = lines.filter((l) => l.startsWith('debug '));
    const info = lines.filter((l) => l.startsWith('info '));
    expect(debug.some((l) => l.includes('POST /v1/executions/payout') && /\b503\b/.test(l))).toBe(true);
    expect(debug.some((l) => l.includes('/v1/status/payout/') && /\b200\b/.test(l))).toBe(true);
    expect(info.some((l) => /landed/.test(l))).toBe(true);
    expect(info.some((l) => /never landed|not found/.test(l))).toBe(true);
    expect(info.some((l) => /401/.test(l) && /renew/i.test(l))).toBe(true);
    expect(rec.sent.length).toBeGreaterThan(15);
    expect(sandbox.requests().filter((r) => r.path === lookupOf(waited)).length).toBeGreaterThanOrEqual(3);
  });
});

describe('short secrets are redacted by structure, without corrupting the text around them', () => {
  const SHORT_CODE = '1234';
  const shortPasscode = () =>
    createPasscode({ code: SHORT_CODE, phone: '231771234567', device: serverDevice({ clientIp: '203.0.113.10', userAgent: 'reliability-suite/1.0' }) });
  const amountIssue = {
    detail: [
      {
        loc: ['body', 'session_id'],
        msg: 'Value error, amount 1234.00 LRD exceeds the wallet balance',
        type: 'value_error',
        // FastAPI's echo of the submitted body holds the code: dropped.
        input: { session_id: '42', passcode: { token: { code: SHORT_CODE } } },
        // A JSON string equal to the code: replaced whole. A longer string holding it: kept.
        ctx: { given: SHORT_CODE, limit: 'amount 1234.00 LRD' },
      },
      { loc: ['body', 'passcode', 'token', 'code'], msg: 'Value error, wrong passcode', type: 'value_error', input: SHORT_CODE },
    ],
  };

  it('a 4-digit passcode code: payout() keeps "amount 1234.00 LRD", drops the echoed input, replaces the equal string', async () => {
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 422, body: amountIssue }, times: 5 });
    const { client, rec } = makeClient();
    const error = (await errors.rejection(client.payout(payoutInput({ passcode: shortPasscode() })))) as DollrApiError;
    expect(sentTo(rec, PAYOUT_PATH)[0]?.body.toString('utf8')).toContain(`"code":"${SHORT_CODE}"`); // really sent
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.message).toContain('body.session_id: Value error, amount 1234.00 LRD exceeds the wallet balance');
    expect(error.message).not.toContain('[redacted]');
    expect(error.body).toEqual({
      detail: [
        {
          loc: ['body', 'session_id'],
          msg: 'Value error, amount 1234.00 LRD exceeds the wallet balance',
          type: 'value_error',
          ctx: { given: '[redacted]', limit: 'amount 1234.00 LRD' },
        },
        { loc: ['body', 'passcode', 'token', 'code'], msg: 'Value error, wrong passcode', type: 'value_error' },
      ],
    });
    expect(JSON.stringify(error)).toContain('amount 1234.00 LRD');
    expect(JSON.stringify(error)).not.toContain(`"${SHORT_CODE}"`);
  });

  it('a 4-digit passcode code: raw client.POST gets the same scrubbed, uncorrupted body', async () => {
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 422, body: amountIssue }, times: 5 });
    const { client } = makeClient();
    const { error, response } = await client.POST('/v1/executions/payout', { body: { ...rawBody(), passcode: shortPasscode() } });
    expect(response.status).toBe(422);
    expect(JSON.stringify(error)).toContain('amount 1234.00 LRD exceeds the wallet balance');
    expect(JSON.stringify(error)).not.toContain('"input"');
    expect(JSON.stringify(error)).not.toContain(`"${SHORT_CODE}"`);
    expect(error).toMatchObject({ detail: [{ ctx: { given: '[redacted]', limit: 'amount 1234.00 LRD' } }, {}] });
  });

  it('a 4-digit passcode code: a free-text 403 detail mentioning 1234.00 stays intact', async () => {
    sandbox.inject({ method: 'POST', path: PAYOUT_PATH, fault: { status: 403, body: { detail: 'Payout of amount 1234.00 LRD exceeds your verified limit' } }, times: 5 });
    const { client } = makeClient();
    const error = (await errors.rejection(client.payout(payoutInput({ passcode: shortPasscode() })))) as DollrApiError;
    expect(error.status).toBe(403);
    expect(error.message).toContain('Payout of amount 1234.00 LRD exceeds your verified limit');
  });

  it('a one-letter token does not corrupt "404 Not Found" (nor "Could not validate credentials")', async () => {
    // The sandbox refuses the token 'o' with 401; the injected answer replaces that refusal.
    const { client, rec } = makeClient({ auth: 'o' });
    sandbox.inject({ method: 'POST', path: '/v1/executions/refund', fault: { status: 404, body: { detail: 'Not Found' } }, times: 5 });
    const notFound = (await errors.rejection(client.execute('refund', { session_id: '11', reference_id: newReferenceId() }))) as DollrApiError;
    expect(sentTo(rec, '/v1/executions/refund')[0]?.headers.get('authorization')).toBe('Bearer o');
    expect(notFound).toBeInstanceOf(DollrApiError);
    expect(notFound.message).toBe('404 Not Found: Not Found');
    expect(notFound.body).toEqual({ detail: 'Not Found' });

    sandbox.reset();
    sandbox.inject({ method: 'POST', path: '/v1/executions/refund', fault: { status: 401, body: { detail: 'Could not validate credentials', token: 'o' } }, times: 5 });
    const denied = (await errors.rejection(client.execute('refund', { session_id: '11', reference_id: newReferenceId() }))) as DollrApiError;
    expect(denied.message).toBe('401 Unauthorized: Could not validate credentials');
    // The JSON string equal to the token is replaced whole.
    expect(denied.body).toEqual({ detail: 'Could not validate credentials', token: '[redacted]' });
  });
});

describe('the check itself', () => {
  it('would catch a leak in each rendering', () => {
    const leaky = new Error('wrapped', { cause: new Error(`token ${SECRETS[2]}`) });
    expect(renderings(leaky).causes).toContain(SECRETS[2]);
    expect(renderings(leaky).inspect).toContain(SECRETS[2]);
    const field = Object.assign(new Error('x'), { body: { code: PASSCODE_CODE } });
    expect(renderings(field).json).toContain(PASSCODE_CODE);
  });

  it('no error collected in this file carries a secret', () => {
    expectNoSecrets(errors.errors, 15);
  });
});
