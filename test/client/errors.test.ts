import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DollrApiError,
  DollrConnectionError,
  DollrError,
  DollrInputError,
  DollrTimeoutError,
} from '../../src/index.js';

const SECRET = 'pc-SENTINEL-1234';
const TOKEN = 'bearer-SENTINEL-5678';

function everything(error: Error): string {
  return [error.message, String(error.stack), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join(
    '\n',
  );
}

describe('error classes', () => {
  it('form a hierarchy with readable names', () => {
    const timeout = new DollrTimeoutError('t', { attempts: 3 });
    expect(timeout).toBeInstanceOf(DollrConnectionError);
    expect(timeout).toBeInstanceOf(DollrError);
    expect(timeout).toBeInstanceOf(Error);
    expect(timeout.name).toBe('DollrTimeoutError');
    expect(new DollrInputError('baseUrl', 'x').name).toBe('DollrInputError');
    expect(String(new DollrInputError('reference_id', 'bad'))).toBe('DollrInputError: bad');
    expect(Object.keys(new DollrInputError('f', 'm'))).not.toContain('name');
  });

  it('formats a 422 from FastAPI detail items', () => {
    const error = new DollrApiError({
      status: 422,
      statusText: 'Unprocessable Entity',
      body: {
        detail: [
          { loc: ['body', 'passcode', 'token', 'phone'], msg: 'String should have at most 15 characters', type: 'string_too_long' },
          { loc: ['body', 'session_id'], msg: 'Field required', type: 'missing' },
        ],
      },
      headers: new Headers(),
      attempts: 1,
      referenceId: '550e8400-e29b-41d4-a716-446655440000',
    });
    expect(error.message).toBe(
      '422 Unprocessable Entity: body.passcode.token.phone: String should have at most 15 characters; body.session_id: Field required',
    );
    expect(error.issues).toEqual([
      { path: 'body.passcode.token.phone', message: 'String should have at most 15 characters', type: 'string_too_long' },
      { path: 'body.session_id', message: 'Field required', type: 'missing' },
    ]);
    expect(error.status).toBe(422);
    expect(error.referenceId).toBe('550e8400-e29b-41d4-a716-446655440000');
  });

  it('uses a string detail for other statuses', () => {
    const error = new DollrApiError({
      status: 401,
      statusText: 'Unauthorized',
      body: { detail: 'Could not validate credentials' },
      headers: new Headers(),
      attempts: 2,
    });
    expect(error.message).toBe('401 Unauthorized: Could not validate credentials');
    expect(error.issues).toEqual([]);
    // The reason phrase comes from the response (statusText); without one the code stands alone.
    expect(new DollrApiError({ status: 599, body: undefined, headers: new Headers(), attempts: 1 }).message).toBe('599');
    expect(new DollrApiError({ status: 401, statusText: '', body: null, headers: new Headers(), attempts: 1 }).message).toBe('401');
  });

  it('redacts echoed inputs and known secrets everywhere', () => {
    const error = new DollrApiError({
      status: 422,
      statusText: 'Unprocessable Entity',
      body: {
        detail: [
          {
            loc: ['body', 'passcode', 'token', 'phone'],
            msg: `bad value ${SECRET}`,
            type: 'string_too_long',
            input: { phone: '+231', code: SECRET },
          },
        ],
        echo: `Authorization: Bearer ${TOKEN}`,
      },
      headers: new Headers({ 'x-request-id': 'r-1' }),
      attempts: 1,
      secrets: [SECRET, TOKEN],
    });
    const out = everything(error);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('[redacted]');
    expect(JSON.stringify(error.body)).not.toContain('input');
    expect(error.toJSON()).toEqual({
      name: 'DollrApiError',
      message: '422 Unprocessable Entity: body.passcode.token.phone: bad value [redacted]',
      status: 422,
      // Issue 15: every DollrApiError says whether the request may have been processed.
      processed: false,
      issues: [{ path: 'body.passcode.token.phone', message: 'bad value [redacted]', type: 'string_too_long' }],
      body: {
        detail: [{ loc: ['body', 'passcode', 'token', 'phone'], msg: 'bad value [redacted]', type: 'string_too_long' }],
        echo: 'Authorization: Bearer [redacted]',
      },
      referenceId: undefined,
      requestId: 'r-1',
      attempts: 1,
    });
  });

  it('serializes connection errors without the cause object', () => {
    const cause = new TypeError('fetch failed');
    const error = new DollrConnectionError('POST /v1/x failed', { attempts: 2, code: 'ECONNRESET', cause });
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({
      name: 'DollrConnectionError',
      message: 'POST /v1/x failed',
      code: 'ECONNRESET',
      referenceId: undefined,
      attempts: 2,
      processed: 'unknown',
    });
  });
});

describe('redaction of short secrets', () => {
  const headers = new Headers();
  it('does not corrupt text that merely contains a short secret', () => {
    const error = new DollrApiError({
      status: 404,
      statusText: 'Not Found',
      body: { detail: 'amount 1234.00 LRD is above the limit' },
      headers,
      attempts: 1,
      secrets: ['1234', 'o'],
    });
    expect(error.message).toBe('404 Not Found: amount 1234.00 LRD is above the limit');
  });

  it('still drops echoes, replaces whole values and known secret fields', () => {
    const error = new DollrApiError({
      status: 422,
      statusText: 'Unprocessable Entity',
      body: {
        detail: [{ loc: ['body', 'passcode', 'token', 'code'], msg: 'wrong passcode', type: 'value_error', input: '1234' }],
        code: '1234',
        passcode: { token: { code: '9999' } },
        note: 'ref 1234',
      },
      headers,
      attempts: 1,
      secrets: ['1234'],
    });
    expect(error.body).toEqual({
      detail: [{ loc: ['body', 'passcode', 'token', 'code'], msg: 'wrong passcode', type: 'value_error' }],
      code: '[redacted]',
      passcode: '[redacted]',
      note: 'ref 1234',
    });
  });
});
