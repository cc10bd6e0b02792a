// Every operation in openapi.json, sent through createDollrClient to the Prism mock of that
// same file: a schema-valid sampled request must get a 2xx whose body matches the operation's
// 200 schema. A broken path, method, body or auth in the client fails the row of that operation.
import { describe, expect, inject, it } from 'vitest';
import { createDollrClient } from '../../src/index.js';
import { operations as generatedOperations } from '../../src/generated/operations.js';
import { recordingFetch } from './helpers/recording-fetch.js';
import { createSampler } from './helpers/sample-request.js';
import type { SampledRequest } from './helpers/sample-request.js';
import { listOperations, loadSpec } from './helpers/spec.js';
import { createSchemaValidator } from './helpers/validate-schema.js';

const spec = loadSpec();
const operations = listOperations(spec);
const sampleRequest = createSampler(spec);
const schemas = createSchemaValidator(spec);

const { fetch, sent } = recordingFetch();
// Client credentials, as a merchant's backend would: the client fetches its token from
// Prism's mock of POST /v1/jwt/client/obtain/token before the first secured call.
const client = createDollrClient({
  baseUrl: inject('prismUrl'),
  auth: { clientId: 'sweep-client-id', clientSecret: 'sweep-client-secret' },
  fetch,
  maxRetries: 0,
});

/**
 * client.request with the method and URL as plain strings: the operations are read from JSON
 * at run time, so the compiler cannot check their literals here (test/types does that).
 */
type RequestByName = (
  method: string,
  url: string,
  init: { params: SampledRequest['params']; body?: unknown },
) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
const request = client.request as unknown as RequestByName;

describe('contract sweep: every operation of openapi.json through createDollrClient against Prism', () => {
  it('walks exactly the operations listed in src/generated/operations.ts', () => {
    expect(operations.map((op) => `${op.method.toUpperCase()} ${op.template}`)).toEqual(
      generatedOperations.map((op) => `${op.method} ${op.path}`),
    );
  });

  it('rejects a 200 body that breaks its schema (the response check is not vacuous)', () => {
    const payout = operations.find((op) => op.name === 'POST /v1/executions/payout');
    if (payout === undefined) throw new Error('openapi.json has no POST /v1/executions/payout');
    expect(schemas.response(payout, { reference_id: 42 }).errors).toEqual(
      expect.arrayContaining(['/reference_id must be string', "(root) must have required property 'status'"]),
    );
  });

  it.each(operations.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const { params, body } = sampleRequest(op);

    // The sample must satisfy the spec itself, or a 422 would blame the wrong side.
    for (const parameter of op.parameters) {
      const value = params[parameter.in as keyof SampledRequest['params']]?.[parameter.name];
      if (value === undefined) continue;
      const check = schemas.check(parameter.schemaPointer, value);
      expect(check.errors, `${op.name}: sampled ${parameter.in} parameter ${parameter.name}`).toEqual([]);
    }
    if (body !== undefined) {
      expect(schemas.requestBody(op, body).errors, `${op.name}: sampled request body`).toEqual([]);
    }

    const sentBefore = sent.length;
    const { data, error, response } = await request(op.method, op.url, body === undefined ? { params } : { params, body });
    const violations = response.headers.get('sl-violations');
    const status = `${op.name} answered ${response.status}: ${JSON.stringify(error ?? null)}; sl-violations: ${violations}`;
    expect(response.status, status).toBeGreaterThanOrEqual(200);
    expect(response.status, status).toBeLessThan(300);
    // Prism also reports request problems it tolerates in this header.
    expect(violations, `${op.name}: Prism's sl-violations`).toBeNull();
    expect(schemas.response(op, data).errors, `${op.name}: 200 body against its schema`).toEqual([]);

    // The request went where the operation says, with the method it says.
    const last = sent.at(-1);
    expect(sent.length).toBeGreaterThan(sentBefore);
    expect(last?.method, op.name).toBe(op.method.toUpperCase());
    const url = new URL(last?.url ?? '');
    expect(url.pathname, op.name).toBe(
      op.url.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params.path[name]))),
    );
    // Every sampled query parameter was sent (all are scalars in this spec).
    expect(Object.fromEntries(url.searchParams), `${op.name}: query string`).toEqual(
      Object.fromEntries(Object.entries(params.query).map(([name, value]) => [name, String(value)])),
    );
  });
});
