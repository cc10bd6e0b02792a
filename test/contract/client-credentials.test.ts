// Client credentials end to end against the Prism mock of openapi.json: the client obtains a
// token from the mocked POST /v1/jwt/client/obtain/token, then sends a payout bearing it.
import { describe, expect, inject, it } from 'vitest';
import { createDollrClient, createPasscode, newReferenceId, serverDevice } from '../../src/index.js';
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
    });
    const result = await client.payout({
      sessionId: 42,
      payoutAccountId: 18,
      referenceId: newReferenceId(),
      passcode: createPasscode({
        phone: '231771234567',
        code: 'cc-passcode',
        device: serverDevice({ clientIp: '203.0.113.10' }),
      }),
    });

    expect(sent.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual([
      `POST ${TOKEN_PATH}`,
      `POST ${PAYOUT_PATH}`,
    ]);
    const [tokenRequest, payoutRequest] = sent;
    // The token request itself carries no bearer; the payout carries the token Prism issued.
    expect(tokenRequest?.authorization).toBeNull();
    expect(tokenRequest?.response?.status).toBe(200);
    const issued = ((await tokenRequest?.response?.json()) as { access_token?: unknown }).access_token;
    expect(typeof issued).toBe('string');
    expect(payoutRequest?.authorization).toBe(`Bearer ${String(issued)}`);
    expect(payoutRequest?.response?.status).toBe(200);

    if (payoutOperation === undefined) throw new Error(`openapi.json has no POST ${PAYOUT_PATH}`);
    expect(createSchemaValidator(spec).response(payoutOperation, result).errors).toEqual([]);
  });
});
