// Secret hygiene under hostile responses: servers that echo the passcode code, the
// client secret or the bearer token back. Every error the client produces must show
// none of them in its message, cause chain, JSON or deep inspect. (The other suites
// run the same check over the errors they produce.)
import { describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrError, DollrTimeoutError, newReferenceId } from '../../src/index.js';
import { PAYOUT_PATH, TOKEN_PATH, executionFor, ok, useFaultServer, status } from './helpers/fault-server.js';
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

  it('token endpoint resetting the connection, and executions resetting or timing out', async () => {
    server().tokenPlan = () => ({ kind: 'reset-after' });
    const tokenFailure = await errors.rejection(makeClient(server().url, 'credentials').payout(payoutInput()));
    expect(tokenFailure).toBeInstanceOf(DollrConnectionError);
    expect((tokenFailure as Error).message).toContain('/v1/jwt/client/obtain/token');

    server().reset();
    server().tokenPlan = () => ok({ access_token: 'tok-SECRET-fixed-7301', expires_in: 60 });
    server().plan = () => ({ kind: 'reset-after' });
    const reset = await errors.rejection(makeClient(server().url, 'credentials').payout(payoutInput()));
    expect(reset).toBeInstanceOf(DollrConnectionError);

    server().plan = (req) => ({ ...ok(executionFor(req)), delayMs: 500 });
    const referenceId = newReferenceId();
    const timeout = await errors.rejection(
      makeClient(server().url, 'credentials', { timeoutMs: 100, maxRetries: 0 }).POST('/v1/executions/payout', {
        body: rawBody(referenceId),
      }),
    );
    expect(timeout).toBeInstanceOf(DollrTimeoutError);
    expect((timeout as DollrTimeoutError).referenceId).toBe(referenceId);
    expectNoSecrets([tokenFailure, reset, timeout], 3);
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
    expectNoSecrets(errors.errors, 9);
  });
});
