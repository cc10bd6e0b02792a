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

/** A pass-through fetch that records what Prism answered (status, violations, JSON body). */
function recording() {
  const answers: { method: string; status: number; violations: string | null; body: unknown }[] = [];
  const fetchFn: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    const text = await response.clone().text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep text
    }
    answers.push({ method: init?.method ?? 'GET', status: response.status, violations: response.headers.get('sl-violations'), body });
    return response;
  };
  return { answers, fetch: fetchFn };
}

// Prism's static mock answers an execution with a generated ExecutionResponse whose
// reference_id is not the one sent. Since issue 15 (rule 4) such a 2xx proves nothing about
// this execution: the request still passes Prism's validation (checked on the wire), and the
// client reports an unknown outcome, typed, instead of returning another execution's body.
// (Before, these two rows asserted that payout()/raw POST returned Prism's example as a value.)
describe('contract: Prism mock', () => {
  it('payout() with helper-built data passes Prism validation; an answer for another reference_id is not taken as this one', async () => {
    const passcode = createPasscode({
      code: SECRET_CODE,
      phone: '231771234567',
      device: serverDevice({ clientIp: '2001:db8::10', userAgent: 'contract-test/1.0' }),
    });
    const rec = recording();
    const referenceId = newReferenceId();
    const error = await client({ fetch: rec.fetch })
      .payout({ sessionId: 42, payoutAccountId: 18, referenceId, passcode })
      .catch((e: unknown) => e);
    const post = rec.answers.find((a) => a.method === 'POST');
    expect(post?.status).toBe(200);
    expect(post?.violations).toBeNull();
    expect(post?.body).toMatchObject(executionResponseShape);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(200);
    expect((error as DollrApiError).processed).toBe('unknown');
    expect((error as DollrApiError).referenceId).toBe(referenceId);
    expect(JSON.stringify(error)).not.toContain(SECRET_CODE);
  });

  it('raw POST on the bound /v1 path passes Prism validation', async () => {
    const rec = recording();
    const error = await client({ fetch: rec.fetch })
      .POST('/v1/executions/payout', { body: payoutBody() })
      .catch((e: unknown) => e);
    const post = rec.answers.find((a) => a.method === 'POST');
    expect(post?.status).toBe(200);
    expect(post?.violations).toBeNull();
    expect((post?.body as { status?: unknown }).status).toEqual(expect.any(String));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).processed).toBe('unknown');
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
