// Client credentials end to end against the Prism mock of openapi.json: the client obtains a
// token from the mocked POST /v1/jwt/client/obtain/token, then sends a payout bearing it.
// Prism answers the payout with an ExecutionResponse for a reference_id it made up: the
// client must not take it as this payout's (it looks the status up, and Prism's lookup answer
// is made up too), so the call ends with processed 'unknown'; the exchange itself is checked.
import { describe, expect, inject, it } from 'vitest';
import { DollrApiError, createDollrClient, createPasscode, newReferenceId, serverDevice } from '../../src/index.js';
import { recordingFetch } from './helpers/recording-fetch.js';
import { loadSpec, listOperations } from './helpers/spec.js';
import { createSchemaValidator } from './helpers/validate-schema.js';

const baseUrl = inject('prismUrl');
const TOKEN_PATH = '/v1/jwt/client/obtain/token';
const PAYOUT_PATH = '/v1/executions/payout';

const spec = loadSpec();
const payoutOperation = listOperations(spec).find((op) => op.name === `POST ${PAYOUT_PATH}`);

describe('client credentials against Prism', () => {
  it('obtains a token from the mocked token endpoint and sends the payout with it', async () => {
    const { fetch: recording, sent } = recordingFetch();
    const client = createDollrClient({
      baseUrl,
      auth: { clientId: 'cc-client-id', clientSecret: 'cc-client-secret' },
      fetch: recording,
      maxRetries: 0,
      backoff: { initialDelayMs: 1, maxDelayMs: 10 },
    });
    const referenceId = newReferenceId();
    const refused = await client
      .payout({
        sessionId: 42,
        payoutAccountId: 18,
        referenceId,
        passcode: createPasscode({
          phone: '231771234567',
          code: 'cc-passcode',
          device: serverDevice({ clientIp: '203.0.113.10' }),
        }),
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(DollrApiError);
    expect((refused as DollrApiError).processed).toBe('unknown');
    expect((refused as DollrApiError).message).not.toContain('cc-passcode');

    const routes = sent.map((request) => `${request.method} ${new URL(request.url).pathname}`);
    expect(routes.slice(0, 2)).toEqual([`POST ${TOKEN_PATH}`, `POST ${PAYOUT_PATH}`]);
    // Never sent twice: everything after the payout is a status lookup of this reference_id.
    expect(routes.slice(2).length).toBeGreaterThan(0);
    expect(new Set(routes.slice(2))).toEqual(new Set([`GET /v1/status/payout/${referenceId}`]));
    const [tokenRequest, payoutRequest] = sent;
    // The token request itself carries no bearer; the payout carries the token Prism issued.
    expect(tokenRequest?.authorization).toBeNull();
    expect(tokenRequest?.response?.status).toBe(200);
    const issued = ((await tokenRequest?.response?.json()) as { access_token?: unknown }).access_token;
    expect(typeof issued).toBe('string');
    expect(payoutRequest?.authorization).toBe(`Bearer ${String(issued)}`);
    expect(payoutRequest?.response?.status).toBe(200);

    if (payoutOperation === undefined) throw new Error(`openapi.json has no POST ${PAYOUT_PATH}`);
    expect(createSchemaValidator(spec).response(payoutOperation, await payoutRequest?.response?.json()).errors).toEqual([]);
  });
});
