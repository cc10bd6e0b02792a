// The committed openapi.json, served by a real Prism process (test/setup/prism.ts),
// behaves as the Dollr docs describe for the payout execution.
import createClient from 'openapi-fetch';
import { describe, expect, inject, it } from 'vitest';
import type { paths } from '../../src/generated/schema.js';
import { documentedPayoutBody, executionResponseShape } from '../fixtures/documented-payout.js';

const baseUrl = inject('prismUrl');
const payoutUrl = `${baseUrl}/v1/executions/payout`;
const version = { path: { version: 'v1' as const } };

function post(body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(payoutUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('Prism mock of openapi.json', () => {
  it('answers the documented payout body with 200 and an ExecutionResponse', async () => {
    const client = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer test-token' } });
    const { data, error, response } = await client.POST('/{version}/executions/payout', {
      params: version,
      body: documentedPayoutBody,
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data).toMatchObject(executionResponseShape);
    expect(response.headers.get('sl-violations')).toBeNull();
  });

  it('rejects a body without passcode with 422 and a detail list', async () => {
    const { passcode: _omitted, ...withoutPasscode } = documentedPayoutBody;
    const response = await post(withoutPasscode, { authorization: 'Bearer test-token' });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { detail?: unknown };
    expect(Array.isArray(body.detail)).toBe(true);
    expect(response.headers.get('sl-violations')).toContain('passcode');
  });

  it('rejects a phone longer than 15 characters with 422', async () => {
    const body = structuredClone(documentedPayoutBody);
    body.passcode.token.phone = '2317712345678901';
    const response = await post(body, { authorization: 'Bearer test-token' });
    expect(response.status).toBe(422);
    expect(response.headers.get('sl-violations')).toContain('phone');
  });

  it('answers 401 when no bearer token is sent', async () => {
    const response = await post(documentedPayoutBody, {});
    expect(response.status).toBe(401);
  });

  it('rejects any API version but v1', async () => {
    const response = await fetch(`${baseUrl}/v2/executions/payout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-token' },
      body: JSON.stringify(documentedPayoutBody),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('sl-violations')).toContain('version');
  });
});
