// Compile-time contract of the per-call options on raw calls: `timeoutMs`/`maxRetries` beside
// openapi-fetch's init fields, typed, so a misspelled or mistyped option does not compile; the
// helpers take the same RequestOptions.
import { describe, expectTypeOf, it } from 'vitest';
import { newReferenceId } from '../../src/index.js';
import type { DollrClient, RequestOptions } from '../../src/index.js';

declare const client: DollrClient;
const session = { payout_account_id: 18, amount: 25, currency: 'USD' };

describe('per-call options on raw calls', () => {
  it('accepts timeoutMs and maxRetries beside openapi-fetch init fields', () => {
    void client.POST('/v1/sessions/payout', { body: session, timeoutMs: 5_000, maxRetries: 0 });
    void client.GET('/v1/status/payout/{reference_id}', {
      params: { path: { reference_id: newReferenceId() } },
      timeoutMs: 1_000,
      signal: AbortSignal.timeout(2_000),
    });
    void client.request('POST', '/v1/sessions/payout', { body: session, maxRetries: 1 });
    // The helpers take the same RequestOptions.
    expectTypeOf(client.getExecution).parameter(2).toEqualTypeOf<RequestOptions | undefined>();
    expectTypeOf(client.payout).parameter(1).toEqualTypeOf<RequestOptions | undefined>();
  });

  it('refuses a misspelled or mistyped option', () => {
    // @ts-expect-error timeoutMS is not an option (timeoutMs is)
    void client.POST('/v1/sessions/payout', { body: session, timeoutMS: 5_000 });
    // @ts-expect-error timeoutMs is a number of milliseconds
    void client.POST('/v1/sessions/payout', { body: session, timeoutMs: '5000' });
    // @ts-expect-error maxRetry is not an option (maxRetries is)
    void client.GET('/v1/status/payout/{reference_id}', { params: { path: { reference_id: 'x' } }, maxRetry: 1 });
  });
});
