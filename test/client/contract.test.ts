// The client against the real Prism mock of openapi.json (started by test/setup/prism.ts).
import { describe, expect, inject, it } from 'vitest';
import {
  createDollrClient,
  createPasscode,
  DollrApiError,
  newReferenceId,
  serverDevice,
} from '../../src/index.js';
import type { FetchLike } from '../../src/index.js';
import { executionResponseShape } from '../fixtures/documented-payout.js';
import { payoutBody, SECRET_CODE } from './helpers/fixtures.js';

const prismUrl = inject('prismUrl');

function client(options: { fetch?: FetchLike } = {}) {
  return createDollrClient({ baseUrl: prismUrl, auth: 'prism-accepts-any-token', maxRetries: 0, ...options });
}

describe('contract: Prism mock', () => {
  it('payout() with helper-built data resolves to an ExecutionResponse', async () => {
    const passcode = createPasscode({
      code: SECRET_CODE,
      phone: '231771234567',
      device: serverDevice({ clientIp: '2001:db8::10', userAgent: 'contract-test/1.0' }),
    });
    const result = await client().payout({ sessionId: 42, payoutAccountId: 18, referenceId: newReferenceId(), passcode });
    expect(result).toMatchObject(executionResponseShape);
  });

  it('raw POST on the bound /v1 path passes Prism validation', async () => {
    const { data, error, response } = await client().POST('/v1/executions/payout', { body: payoutBody() });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.headers.get('sl-violations')).toBeNull();
    expect(data?.status).toEqual(expect.any(String));
  });

  it('a body Prism rejects becomes a 422 DollrApiError without the passcode code', async () => {
    // Local validation refuses this body on every client path (payout, POST, request), so a
    // middleware swaps it in after the check to see the server's answer.
    const body = payoutBody();
    const tooLong = { ...body, passcode: { ...body.passcode, token: { code: SECRET_CODE, phone: '2317712345678901' } } };
    const raw = client();
    raw.use({
      onRequest: ({ request }) =>
        new Request(request.url, { method: request.method, headers: request.headers, body: JSON.stringify(tooLong) }),
    });
    const { error, response } = await raw.POST('/v1/executions/payout', { body });
    expect(response.status).toBe(422);
    expect(Array.isArray(error?.detail)).toBe(true);
    const apiError = new DollrApiError({
      status: response.status,
      statusText: response.statusText,
      body: error,
      headers: response.headers,
      attempts: 1,
      secrets: [SECRET_CODE],
    });
    expect(apiError.message).toMatch(/^422 Unprocessable Entity/);
    expect(JSON.stringify(apiError)).not.toContain(SECRET_CODE);
  });

  it('a request without a bearer gets 401, surfaced by payout() as DollrApiError', async () => {
    const stripAuth: FetchLike = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete('authorization');
      return fetch(input, { ...init, headers });
    };
    const passcode = createPasscode({ code: SECRET_CODE, userId: 'u-1', device: serverDevice({ clientIp: '203.0.113.10' }) });
    const referenceId = newReferenceId();
    const error = await client({ fetch: stripAuth })
      .payout({ sessionId: '42', payoutAccountId: '18', referenceId, passcode })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(401);
    expect((error as DollrApiError).referenceId).toBe(referenceId);
  });
});
