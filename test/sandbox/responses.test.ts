/**
 * Every operation answers 200 with a body its own response schema accepts, checked here by an
 * Ajv instance independent of the sandbox's, and the values are real (no "string" placeholders
 * in the money path).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { operationKeys, tour } from './tour.js';
import type { TourCall } from './tour.js';

type Json = Record<string, unknown>;
const spec = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Json };
};

function responseValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext its default export arrives as `.default`.
  formats.default(ajv);
  ajv.addFormat('password', true);
  ajv.addSchema({ $id: 'spec.json', components: spec.components });
  return (key: string, body: unknown): string[] => {
    const [method, path] = key.split(' ') as [string, string];
    const op = spec.paths[path]![method.toLowerCase()] as Json;
    const schema = ((((op.responses as Json)['200'] as Json).content as Json)['application/json'] as Json).schema as Json;
    const text = JSON.stringify(schema).replaceAll('"#/components/', '"spec.json#/components/');
    const validate = ajv.compile(JSON.parse(text) as Json);
    return validate(body) ? [] : (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${key} ${e.instancePath} ${e.message}`);
  };
}

let sandbox: Sandbox;
let calls: TourCall[];
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 0 });
  calls = await tour(sandbox.url, sandbox);
});
afterAll(() => sandbox.close());

describe('every operation', () => {
  it('is toured: all 49 operations of openapi.json, each answered 200', () => {
    const keys = operationKeys(spec);
    expect(keys).toHaveLength(49);
    expect(new Set(calls.map((c) => c.key))).toEqual(new Set(keys));
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
  });

  it('answers bodies valid against their 200 response schema', () => {
    const check = responseValidator();
    expect(calls.flatMap((c) => check(c.key, c.body))).toEqual([]);
  });

  it('answers real values, not schema placeholders', () => {
    const placeholders = calls.filter((c) => /"string"|"str"|stringst/.test(JSON.stringify(c.body)));
    expect(placeholders.map((c) => c.key)).toEqual([]);
    const payout = calls.find((c) => c.key === 'POST /{version}/executions/payout')!.body as Json;
    expect(payout).toMatchObject({ status: 'PENDING', payer_amount: 25, payer_currency: 'USD', operation_type: 'PAYOUT' });
    const status = calls.find((c) => c.key === 'GET /{version}/status/payout/{reference_id}')!.body as Json;
    expect(status.reference_id).toBe(payout.reference_id);
    expect(status.status).toBe('COMPLETED');
    expect(status.provider_transaction_id).toMatch(/^SBX-/);
    const source = calls.find((c) => c.key === 'GET /{version}/status/source')!.body as Json;
    expect(source).toMatchObject({ status: 'PAID', total_amount: 15, currency: 'USD' });
  });
});
