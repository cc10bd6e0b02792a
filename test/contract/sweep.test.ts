// Every operation in openapi.json, sent through createDollrClient to the Prism mock of that
// same file: a schema-valid sampled request must get a 2xx whose body matches the operation's
// 200 schema. A broken path, method, body or auth in the client fails the row of that operation.
// Executions are the exception the client is built for: Prism answers an ExecutionResponse
// for a reference_id it made up, which the client must not take as its own (an unknown
// outcome: looked up, then refused with processed 'unknown'). Their rows check Prism's
// verdict on the request and its body from the recorded exchange instead.
import { describe, expect, inject, it } from 'vitest';
import { TOKEN_PATH, policyFor } from '../../src/core/policy.js';
import { DollrApiError, createDollrClient } from '../../src/index.js';
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
  // An execution's lookups after Prism's made-up answer need not wait half a second each.
  backoff: { initialDelayMs: 1, maxDelayMs: 10 },
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
    // What this row sent, past the token request the first secured call makes.
    const sentByRow = () => sent.slice(sentBefore).filter((r) => op.url === TOKEN_PATH || new URL(r.url).pathname !== TOKEN_PATH);
    const init = body === undefined ? { params } : { params, body };
    let answered: { data?: unknown; error?: unknown; response: Response };
    if (policyFor(op.method.toUpperCase(), op.url).repeat === 'execution') {
      const refused = await request(op.method, op.url, init).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused, `${op.name}: Prism's made-up reference_id taken as this execution's`).toBeInstanceOf(DollrApiError);
      expect((refused as DollrApiError).processed).toBe('unknown');
      const first = sentByRow()[0]?.response;
      if (first === undefined) throw new Error(`${op.name}: nothing was sent`);
      answered = { data: await first.clone().json(), response: first };
    } else {
      answered = await request(op.method, op.url, init);
    }
    const { data, error, response } = answered;
    const violations = response.headers.get('sl-violations');
    const status = `${op.name} answered ${response.status}: ${JSON.stringify(error ?? null)}; sl-violations: ${violations}`;
    expect(response.status, status).toBeGreaterThanOrEqual(200);
    expect(response.status, status).toBeLessThan(300);
    // Prism also reports request problems it tolerates in this header.
    expect(violations, `${op.name}: Prism's sl-violations`).toBeNull();
    expect(schemas.response(op, data).errors, `${op.name}: 200 body against its schema`).toEqual([]);

    // The request went where the operation says, with the method it says.
    const last = sentByRow()[0];
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
