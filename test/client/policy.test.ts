// The operation policy table: one row per operation in openapi.json, and nothing else.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { operations } from '../../src/generated/operations.js';
import { DEFAULT_POLICY, ONCE_OPERATIONS, POLICY, policyFor } from '../../src/core/policy.js';

const bound = (method: string, path: string) => `${method} ${path.replace('/{version}', '/v1')}`;
const spec = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  components: { schemas: Record<string, unknown> };
};

/** Follows `$ref`s and `properties` down a dotted path of a request body schema. */
function schemaAt(schema: unknown, path: string[]): unknown {
  let current = schema as { $ref?: string; properties?: Record<string, unknown> } | undefined;
  for (const key of ['', ...path]) {
    while (current?.$ref) current = spec.components.schemas[current.$ref.split('/').pop() ?? ''] as typeof current;
    if (key !== '') current = current?.properties?.[key] as typeof current;
  }
  return current;
}

describe('policy table', () => {
  it('decides every operation in the spec exactly once: a row, or a place in ONCE_OPERATIONS', () => {
    const decided = [...Object.keys(POLICY), ...ONCE_OPERATIONS];
    expect(decided.sort()).toEqual(operations.map((op) => bound(op.method, op.path)).sort());
  });

  it('gives the ONCE_OPERATIONS the default, never-repeated policy, by template and by concrete path', () => {
    for (const key of ONCE_OPERATIONS) {
      const [method, path] = key.split(' ') as [string, string];
      expect(policyFor(method, path), key).toBe(DEFAULT_POLICY);
      expect(policyFor(method, path.replace(/\{[^}]+\}/g, '17')), key).toBe(DEFAULT_POLICY);
    }
  });

  it('finds rows by template and by concrete path, with the safe default elsewhere', () => {
    expect(policyFor('POST', '/v1/executions/payout')).toBe(POLICY['POST /v1/executions/payout']);
    expect(policyFor('GET', '/v1/status/payout/{reference_id}')).toBe(POLICY['GET /v1/status/payout/{reference_id}']);
    expect(policyFor('GET', '/v1/status/payout/550e8400-e29b-41d4-a716-446655440000').repeat).toBe('safe');
    expect(policyFor('PUT', '/v1/invoices/publish/17').repeat).toBe('once');
    expect(policyFor('POST', '/v1/invoices/17/items/add').repeat).toBe('once');
    // Unknown operations, and a known path with another method, are never repeated blindly.
    expect(policyFor('POST', '/v1/wallets/withdraw')).toBe(DEFAULT_POLICY);
    expect(policyFor('GET', '/v1/executions/payout')).toBe(DEFAULT_POLICY);
    expect(policyFor('GET', '/v1/status/payout/a/b')).toBe(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.repeat).toBe('once');
  });

  it('gives every execution a status lookup that is a safe operation of the spec', () => {
    const executions = Object.entries(POLICY).filter(([, p]) => p.repeat === 'execution');
    expect(executions.map(([key]) => key).sort()).toEqual(
      operations.filter((op) => op.path.includes('/executions/')).map((op) => bound(op.method, op.path)).sort(),
    );
    for (const [, policy] of executions) {
      expect(POLICY[`GET ${policy.status}` as keyof typeof POLICY]?.repeat).toBe('safe');
    }
  });

  it('names secret fields that exist in the request body schema', () => {
    const withSecrets = Object.entries(POLICY).filter(([, p]) => p.secrets);
    expect(withSecrets.map(([key]) => key).sort()).toEqual(['POST /v1/executions/payout', 'POST /v1/jwt/client/obtain/token']);
    for (const [key, policy] of withSecrets) {
      const [method, path] = key.split(' ') as [string, string];
      const body = spec.paths[path.replace('/v1', '/{version}')]?.[method.toLowerCase()]?.requestBody;
      for (const secret of policy.secrets ?? []) {
        const field = schemaAt(body?.content['application/json']?.schema, secret.split('.')) as { format?: string } | undefined;
        expect(field, `${key}: ${secret}`).toBeDefined();
        expect(field?.format, `${key}: ${secret} is a password field`).toBe('password');
      }
    }
  });
});
