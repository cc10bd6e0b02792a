// Compile-time contract of inject()'s path: the spec's templates (derived from the generated
// operation table), their concrete forms, or a RegExp; a typo does not compile.
import { describe, expectTypeOf, it } from 'vitest';
import type { Sandbox, SandboxInjection, SandboxPath } from '../../src/testing/index.js';

declare const sandbox: Sandbox;

describe('SandboxInjection.path', () => {
  it('takes templates, versioned templates, concrete paths and RegExps', () => {
    sandbox.inject({ path: '/v1/executions/payout', fault: 'reset-after' });
    sandbox.inject({ path: '/{version}/executions/payout', fault: 'stall' });
    sandbox.inject({ path: '/v1/status/payout/{reference_id}', fault: { status: 503, processed: true } });
    sandbox.inject({ path: '/v1/status/payout/550e8400-e29b-41d4-a716-446655440000', fault: { dripMs: 10 } });
    sandbox.inject({ path: /^\/v1\/executions\//, fault: 'truncate', method: 'POST', times: 2 });
    sandbox.inject({ path: '/v1/fees/tiers', fault: { redirect: 'https://elsewhere.example/', status: 308 } });
    expectTypeOf<'/v1/invoices/7/items/add'>().toMatchTypeOf<SandboxPath>();
  });

  it('refuses a typo and a path outside the spec', () => {
    // @ts-expect-error 'payut' is not an operation of the spec
    sandbox.inject({ path: '/v1/executions/payut', fault: 'reset-after' });
    // @ts-expect-error no such operation
    sandbox.inject({ path: '/v1/nothing', fault: 'reset-after' });
    // @ts-expect-error a redirect status is 301, 302, 303, 307 or 308
    sandbox.inject({ path: '/v1/fees/tiers', fault: { redirect: '/x', status: 200 } });
    expectTypeOf<'/v1/executions/payut'>().not.toMatchTypeOf<SandboxInjection['path']>();
  });
});
