// Secret hygiene under hostile responses: servers that echo the passcode code, the
// client secret or the bearer token back. Every error the client produces must show
// none of them in its message, cause chain, JSON or deep inspect. (The other suites
// run the same check over the errors they produce.)
import { describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrError, DollrTimeoutError, createPasscode, newReferenceId, serverDevice } from '../../src/index.js';
import type { Logger } from '../../src/index.js';
import {
  PAYOUT_PATH,
  RESET_AFTER,
  RESET_BEFORE,
  TOKEN_PATH,
  ok,
  processedLate,
  processedThen,
  status,
  statusPath,
  useFaultServer,
} from './helpers/fault-server.js';
import { makeClient, payoutInput, rawBody } from './helpers/fixtures.js';
import { CLIENT_SECRET, PASSCODE_CODE, SECRETS, createErrorCollector, expectNoSecrets, renderings } from './helpers/secrets.js';

const errors = createErrorCollector();
const server = useFaultServer();

/** The bearer token the request carried, as the server saw it. */
function bearerOf(headers: { authorization?: string | undefined }): string {
  return (headers.authorization ?? '').replace(/^Bearer /, '');
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
    server().plan = () =>
      status(422, {
        detail: [
          { ...echoedCodeIssue, ctx: { given: PASSCODE_CODE } },
          // A body-level error: FastAPI puts the whole submitted body in `input`.
          { loc: ['body'], msg: 'Invalid body', type: 'model_attributes_type', input: { passcode: { token: { code: PASSCODE_CODE } } } },
        ],
      });
    const client = makeClient(server().url, 'credentials');
    const error = (await errors.rejection(client.payout(payoutInput()))) as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.status).toBe(422);
    expect(error.issues.map((i) => i.path)).toEqual(['body.passcode.token.code', 'body']);
    expect(error.message).toContain('body.passcode.token.code: Value error, passcode [redacted] is not valid');
    expect(server().on(PAYOUT_PATH)[0]?.body.toString('utf8')).toContain(PASSCODE_CODE); // it was really sent
    expectNoSecrets([error], 1);
  });

  it('raw client.POST: a 422 echoing the passcode code comes back scrubbed, still parsed', async () => {
    server().plan = () =>
      status(422, {
        detail: [
          echoedCodeIssue,
        ],
      });
    const client = makeClient(server().url);
    const { error, response } = await client.POST('/v1/executions/payout', { body: rawBody() });
    expect(response.status).toBe(422);
    expect(server().on(PAYOUT_PATH)[0]?.body.toString('utf8')).toContain(PASSCODE_CODE); // it was really sent
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
    server().tokenPlan = (req) =>
      status(401, { detail: `invalid client: ${req.body.toString('utf8')}` }); // echoes client_secret
    const client = makeClient(server().url, 'credentials');
    const viaPayout = await errors.rejection(client.payout(payoutInput()));
    const viaRaw = await errors.rejection(client.POST('/v1/executions/payout', { body: rawBody() }));
    for (const error of [viaPayout, viaRaw]) {
      expect(error).toBeInstanceOf(DollrApiError);
      expect((error as DollrApiError).status).toBe(401);
      expect((error as DollrApiError).message).toMatch(/^Obtaining an access token failed: 401/);
      expect((error as DollrApiError).message).toContain('[redacted]');
    }
    expect(server().on(TOKEN_PATH).length).toBeGreaterThanOrEqual(2);
    expect(server().on(TOKEN_PATH)[0]?.body.toString('utf8')).toContain(CLIENT_SECRET);
    expect(server().on(PAYOUT_PATH)).toHaveLength(0);
    expectNoSecrets([viaPayout, viaRaw], 2);
  });

  it('500 echoing the bearer token, the client secret and the passcode code', async () => {
    server().plan = (req) =>
      status(500, {
        detail: `upstream rejected token ${bearerOf(req.headers)} (client ${CLIENT_SECRET}) passcode ${PASSCODE_CODE}`,
        debug: { authorization: req.headers.authorization, body: req.body.toString('utf8') },
      });
    const client = makeClient(server().url, 'credentials');
    const error = (await errors.rejection(client.payout(payoutInput()))) as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.attempts).toBe(3);
    expect(server().on(PAYOUT_PATH)).toHaveLength(3);
    expectNoSecrets([error], 1);
  });

  it('401 on the execution after a refresh, body echoing the new token', async () => {
    server().plan = (req) => status(401, { detail: `Could not validate credentials: ${bearerOf(req.headers)}` });
    const client = makeClient(server().url, 'credentials');
    const error = (await errors.rejection(client.payout(payoutInput()))) as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.status).toBe(401);
    expect(server().grants).toHaveLength(2);
    expectNoSecrets([error], 1);
  });

  it('token endpoint answering 200 without a usable token', async () => {
    server().tokenPlan = () => ok({ access_token: `${CLIENT_SECRET} has spaces`, expires_in: 10 });
    const client = makeClient(server().url, 'credentials');
    const error = await errors.rejection(client.payout(payoutInput()));
    expect(error).toBeInstanceOf(DollrError);
    expect((error as Error).message).toMatch(/no usable access_token/);
    expectNoSecrets([error], 1);
  });

  it('token endpoint resetting the connection, and executions whose outcome stays unknown (reset, timeout)', async () => {
    server().tokenPlan = () => RESET_AFTER;
    const tokenFailure = await errors.rejection(makeClient(server().url, 'credentials').payout(payoutInput()));
    expect(tokenFailure).toBeInstanceOf(DollrConnectionError);
    expect((tokenFailure as Error).message).toContain('/v1/jwt/client/obtain/token');

    server().reset();
    // Processed, answer lost, and the status lookups cannot tell either.
    server().plan = () => RESET_AFTER;
    server().lookupPlan = () => RESET_BEFORE;
    const reset = await errors.rejection(makeClient(server().url, 'credentials').payout(payoutInput()));
    expect(reset).toBeInstanceOf(DollrConnectionError);
    expect((reset as DollrConnectionError).processed).toBe('unknown');

    server().plan = () => processedLate(500);
    server().lookupPlan = () => processedLate(500);
    const referenceId = newReferenceId();
    const timeout = await errors.rejection(
      makeClient(server().url, 'credentials', { timeoutMs: 100, maxRetries: 0 }).POST('/v1/executions/payout', {
        body: rawBody(referenceId),
      }),
    );
    expect(timeout).toBeInstanceOf(DollrTimeoutError);
    expect((timeout as DollrTimeoutError).referenceId).toBe(referenceId);
    expect((timeout as DollrTimeoutError).processed).toBe('unknown');
    expectNoSecrets([tokenFailure, reset, timeout], 3);
  });
});

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
    const s = server();
    const client = makeClient(s.url, 'credentials', { logger, logLevel: 'debug' });
    /**
     * Hostile server: error bodies echo the bearer token, the client secret and the passcode
     * code, and carry BODY_MARK, so any body text reaching a log line is caught by name.
     */
    const BODY_MARK = 'srv-body-7f3a';
    const echo = (req: { headers: { authorization?: string | undefined } }) => ({
      detail: `${BODY_MARK} token ${req.headers.authorization ?? ''} client ${CLIENT_SECRET} code ${PASSCODE_CODE}`,
    });
    const run: Array<Promise<unknown>> = [];
    const settle = (promise: Promise<unknown>) => run.push(promise.catch((e: unknown) => errors.add(e)));

    // 1. processed, answer lost; the first lookup fails (echoing), the second finds it.
    s.plan = (_req, nth) => (nth === 0 ? RESET_AFTER : undefined);
    s.lookupPlan = (req, nth) => (nth === 0 ? status(503, echo(req)) : undefined);
    settle(client.payout(payoutInput()));
    await Promise.all(run);
    // 2. processed, then a 503 echoing secrets: found.
    s.plan = (req) => processedThen(503, echo(req));
    s.lookupPlan = () => undefined;
    settle(client.payout(payoutInput()));
    await Promise.all(run);
    // 3. a 503 (echoing) before processing: not found, re-sent.
    s.plan = (req, nth) => (nth === 0 ? status(503, echo(req)) : undefined);
    settle(client.execute('transfer', { session_id: '9', reference_id: newReferenceId() }));
    await Promise.all(run);
    // 4. a 422 echoing the passcode code in detail[].input and msg.
    s.plan = (req) =>
      status(422, {
        detail: [{ loc: ['body', 'passcode', 'token', 'code'], msg: `Value error, ${PASSCODE_CODE} refused`, type: 'value_error', input: PASSCODE_CODE }],
        debug: echo(req).detail,
      });
    settle(client.payout(payoutInput()));
    await Promise.all(run);
    // 5. the token is revoked: 401 echoing it, one renewal, re-sent.
    s.plan = (req) => (s.isValidBearer(req.headers) ? undefined : status(401, echo(req)));
    s.lookupPlan = () => undefined;
    s.revoke(s.grants[0]?.access_token ?? '');
    settle(client.payout(payoutInput()));
    await Promise.all(run);
    // 6. budget spent: processed, lost, and every lookup fails.
    s.plan = () => RESET_AFTER;
    s.lookupPlan = (req) => status(500, echo(req));
    settle(client.payout(payoutInput()));
    await Promise.all(run);
    // 7. waiting: a lookup 503 echoing the token, then PENDING, then COMPLETED.
    const waited = newReferenceId();
    s.seed('payout', waited, 'PENDING');
    s.lookupPlan = (req, nth) => {
      if (nth === 0) return status(503, echo(req));
      const recorded = s.executions.get(waited);
      if (recorded && nth >= 2) recorded.response.status = 'COMPLETED';
      return undefined;
    };
    settle(client.waitForExecution('payout', waited, { pollIntervalMs: 10, maxWaitMs: 10_000 }));
    await Promise.all(run);

    const tokens = s.grants.map((g) => g.access_token);
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
    expect(s.requests.length).toBeGreaterThan(15);
    expect(s.on(statusPath('payout', waited)).length).toBeGreaterThanOrEqual(3);
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
    server().plan = () => status(422, amountIssue);
    const client = makeClient(server().url);
    const error = (await errors.rejection(client.payout(payoutInput({ passcode: shortPasscode() })))) as DollrApiError;
    expect(server().on(PAYOUT_PATH)[0]?.body.toString('utf8')).toContain(`"code":"${SHORT_CODE}"`); // really sent
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
    server().plan = () => status(422, amountIssue);
    const client = makeClient(server().url);
    const { error, response } = await client.POST('/v1/executions/payout', { body: { ...rawBody(), passcode: shortPasscode() } });
    expect(response.status).toBe(422);
    expect(JSON.stringify(error)).toContain('amount 1234.00 LRD exceeds the wallet balance');
    expect(JSON.stringify(error)).not.toContain('"input"');
    expect(JSON.stringify(error)).not.toContain(`"${SHORT_CODE}"`);
    expect(error).toMatchObject({ detail: [{ ctx: { given: '[redacted]', limit: 'amount 1234.00 LRD' } }, {}] });
  });

  it('a 4-digit passcode code: a free-text 403 detail mentioning 1234.00 stays intact', async () => {
    server().plan = () => status(403, { detail: 'Payout of amount 1234.00 LRD exceeds your verified limit' });
    const client = makeClient(server().url);
    const error = (await errors.rejection(client.payout(payoutInput({ passcode: shortPasscode() })))) as DollrApiError;
    expect(error.status).toBe(403);
    expect(error.message).toContain('Payout of amount 1234.00 LRD exceeds your verified limit');
  });

  it('a one-letter token does not corrupt "404 Not Found" (nor "Could not validate credentials")', async () => {
    const client = makeClient(server().url, 'static', { auth: 'o' });
    server().plan = () => status(404, { detail: 'Not Found' });
    const notFound = (await errors.rejection(client.execute('refund', { session_id: '11', reference_id: newReferenceId() }))) as DollrApiError;
    expect(server().on('/v1/executions/refund')[0]?.headers.authorization).toBe('Bearer o');
    expect(notFound).toBeInstanceOf(DollrApiError);
    expect(notFound.message).toBe('404 Not Found: Not Found');
    expect(notFound.body).toEqual({ detail: 'Not Found' });

    server().plan = () => status(401, { detail: 'Could not validate credentials', token: 'o' });
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
