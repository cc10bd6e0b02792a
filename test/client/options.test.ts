import { afterEach, describe, expect, it } from 'vitest';
import { createDollrClient, DollrInputError } from '../../src/index.js';
import type { DollrClientOptions } from '../../src/index.js';

function refusal(options: unknown): DollrInputError {
  try {
    createDollrClient(options as DollrClientOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(DollrInputError);
    return error as DollrInputError;
  }
  throw new Error('expected createDollrClient to refuse');
}

const g = globalThis as { window?: unknown; document?: unknown };

afterEach(() => {
  delete g.window;
  delete g.document;
});

describe('createDollrClient options', () => {
  it('returns the openapi-fetch surface plus payout', () => {
    const client = createDollrClient({ auth: 'token' });
    for (const key of ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE', 'request', 'use', 'eject', 'payout']) {
      expect(typeof (client as unknown as Record<string, unknown>)[key]).toBe('function');
    }
  });

  it('refuses plain http to a non-loopback host', () => {
    const error = refusal({ auth: 't', baseUrl: 'http://api.heydollr.app' });
    expect(error.field).toBe('baseUrl');
    expect(() => createDollrClient({ auth: 't', baseUrl: 'http://api.example.com', allowInsecureHttp: true })).not.toThrow();
  });

  it.each(['http://127.0.0.1:4010', 'http://127.8.9.10', 'http://localhost:3000/', 'http://[::1]:8080', 'https://api.heydollr.app'])(
    'accepts %s',
    (baseUrl) => expect(() => createDollrClient({ auth: 't', baseUrl })).not.toThrow(),
  );

  it.each(['ftp://api.heydollr.app', 'not a url', 'http://127.0.0.1.evil.com', 'http://localhost.evil.com', 42])(
    'refuses baseUrl %j',
    (baseUrl) => expect(refusal({ auth: 't', baseUrl }).field).toBe('baseUrl'),
  );

  it.each([undefined, '', 'has space', 'line\nbreak', 42, {}, { clientId: 'id' }, { clientId: '', clientSecret: 's' }])(
    'refuses auth %j',
    (auth) => {
      const error = refusal({ auth });
      expect(error.field).toBe('auth');
      if (typeof auth === 'string' && auth) expect(error.message).not.toContain(auth);
    },
  );

  it('refuses client credentials in a browser-like runtime unless allowed', () => {
    g.window = {};
    const error = refusal({ auth: { clientId: 'id', clientSecret: 'shh-secret' } });
    expect(error.field).toBe('auth');
    expect(error.message).not.toContain('shh-secret');
    delete g.window;
    g.document = {};
    expect(refusal({ auth: { clientId: 'id', clientSecret: 's' } }).field).toBe('auth');
    expect(() =>
      createDollrClient({ auth: { clientId: 'id', clientSecret: 's' }, dangerouslyAllowBrowser: true }),
    ).not.toThrow();
    // A plain token is the caller's own business in a browser.
    expect(() => createDollrClient({ auth: 'token' })).not.toThrow();
  });

  it.each([
    ['maxRetries', -1],
    ['maxRetries', 1.5],
    ['timeoutMs', 0],
    ['timeoutMs', Number.NaN],
    ['userAgent', ''],
  ] as const)('refuses %s = %s', (field, value) => {
    expect(refusal({ auth: 't', [field]: value }).field).toBe(field);
  });
});
