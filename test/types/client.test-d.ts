// Compile-time contract of the public types (checked by tsc and vitest typecheck).
import { describe, expectTypeOf, it } from 'vitest';
import { createDollrClient, createPasscode, isFinalStatus, serverDevice } from '../../src/index.js';
import type { DollrConnectionError, DollrWaitTimeoutError } from '../../src/index.js';
import type {
  ExecutionBody,
  ExecutionKind,
  ExecutionStatus,
  RequestBody,
  RequestOptions,
  ResponseData,
  BoundPaths,
  Device,
  DollrClient,
  Execution,
  ExecutionResponse,
  Passcode,
  PayoutRequest,
  ValidationIssue,
  components,
  paths,
} from '../../src/index.js';

declare const client: DollrClient;
declare const passcode: Passcode;

const body: PayoutRequest = {
  session_id: '42',
  payout_account_id: '18',
  reference_id: '550e8400-e29b-41d4-a716-446655440000',
  passcode,
};

describe('derived aliases', () => {
  it('match the generated schema', () => {
    expectTypeOf<PayoutRequest>().toEqualTypeOf<components['schemas']['PayoutExecutionPayload']>();
    expectTypeOf<ExecutionResponse>().toEqualTypeOf<components['schemas']['ExecutionResponse']>();
    expectTypeOf<Device>().toEqualTypeOf<components['schemas']['WithDevicePayload']>();
    expectTypeOf<Passcode['token']['code']>().toEqualTypeOf<string>();
    expectTypeOf<ValidationIssue>().toEqualTypeOf<{ path: string; message: string; type: string }>();
    expectTypeOf(createPasscode).returns.toEqualTypeOf<Passcode>();
    expectTypeOf(serverDevice).returns.toEqualTypeOf<Device>();
    expectTypeOf(createDollrClient).returns.toEqualTypeOf<DollrClient>();
  });
});

describe('version binding', () => {
  it('rewrites /{version} to /v1 and drops the version param', () => {
    expectTypeOf<'/v1/executions/payout'>().toExtend<keyof BoundPaths>();
    expectTypeOf<Extract<keyof BoundPaths, `/{version}${string}`>>().toBeNever();
    type Op = BoundPaths['/v1/executions/payout']['post'];
    expectTypeOf<Op['parameters']['path']>().toEqualTypeOf<undefined>();
    expectTypeOf<Op['requestBody']>().toEqualTypeOf<paths['/{version}/executions/payout']['post']['requestBody']>();
  });

  it('keeps other path params and leaves unversioned paths alone', () => {
    interface Fake {
      '/{version}/status/payout/{reference_id}': {
        parameters: { query?: never; header?: never; path?: never; cookie?: never };
        get: {
          parameters: { query?: never; header?: never; path: { version: 'v1'; reference_id: string }; cookie?: never };
          requestBody?: never;
          responses: { 200: { headers: Record<string, unknown>; content: { 'application/json': { status: string } } } };
        };
      };
      '/health': { get: { parameters: { query?: never }; requestBody?: never; responses: object } };
    }
    type Bound = BoundPaths<Fake>;
    expectTypeOf<keyof Bound>().toEqualTypeOf<'/v1/status/payout/{reference_id}' | '/health'>();
    expectTypeOf<Bound['/v1/status/payout/{reference_id}']['get']['parameters']['path']>().toEqualTypeOf<{
      reference_id: string;
    }>();
  });
});

describe('client methods', () => {
  it('infer body, data and error for the payout execution', async () => {
    const { data, error } = await client.POST('/v1/executions/payout', { body });
    expectTypeOf(data).toEqualTypeOf<ExecutionResponse | undefined>();
    if (error) expectTypeOf(error.detail).toEqualTypeOf<components['schemas']['ValidationError'][] | undefined>();
    const viaRequest = await client.request('post', '/v1/executions/payout', { body });
    expectTypeOf(viaRequest.data).toEqualTypeOf<ExecutionResponse | undefined>();
    expectTypeOf(client.payout).returns.resolves.toEqualTypeOf<Execution>();
  });

  it('reject wrong bodies and unknown paths', () => {
    // @ts-expect-error session_id must be a string
    void client.POST('/v1/executions/payout', { body: { ...body, session_id: 42 } });
    const { passcode: _omitted, ...withoutPasscode } = body;
    // @ts-expect-error passcode is required
    void client.POST('/v1/executions/payout', { body: withoutPasscode });
    // @ts-expect-error the version is bound: only /v1 exists
    void client.POST('/v2/executions/payout', { body });
    // @ts-expect-error the templated path is not a client path
    void client.POST('/{version}/executions/payout', { body, params: { path: { version: 'v1' } } });
    // @ts-expect-error no GET on the execution endpoint
    void client.GET('/v1/executions/payout');
    // @ts-expect-error the body is required
    void client.POST('/v1/executions/payout', {});
  });

  it('payout accepts string or number ids', () => {
    void client.payout({ sessionId: 42, payoutAccountId: '18', referenceId: body.reference_id, passcode });
    // @ts-expect-error referenceId is required
    void client.payout({ sessionId: 42, payoutAccountId: '18', passcode });
    void client.payout(
      { sessionId: '42', payoutAccountId: 18, referenceId: body.reference_id, passcode },
      { signal: AbortSignal.timeout(1000) },
    );
  });

  it('exposes the openapi-fetch middleware API', () => {
    expectTypeOf(client.use).toBeFunction();
    expectTypeOf(client.eject).toBeFunction();
  });
});

describe('every operation is typed from the spec', () => {
  it('infers session, status and account calls', async () => {
    const session = await client.POST('/v1/sessions/payout', { body: { payout_account_id: 18, amount: 25, currency: 'USD' } });
    if (session.data) expectTypeOf(session.data.id).toEqualTypeOf<number>();
    const status = await client.GET('/v1/status/payout/{reference_id}', { params: { path: { reference_id: body.reference_id } } });
    expectTypeOf(status.data).toEqualTypeOf<ExecutionResponse | undefined>();
    const account = {} as RequestBody<'post', '/v1/payment-accounts/create'>;
    void client.POST('/v1/payment-accounts/create', { params: { query: { operation_type: 'PAYOUT' } }, body: account });
    // @ts-expect-error operation_type is an enum
    void client.POST('/v1/payment-accounts/create', { params: { query: { operation_type: 'WITHDRAWAL' } }, body: account });
    // @ts-expect-error amount is a number
    void client.POST('/v1/sessions/payout', { body: { payout_account_id: 18, amount: '25', currency: 'USD' } });
    // @ts-expect-error currency is required
    void client.POST('/v1/sessions/payout', { body: { payout_account_id: 18, amount: 25 } });
  });

  it('derives RequestBody and ResponseData by method and path, upper or lower case', () => {
    expectTypeOf<RequestBody<'post', '/v1/sessions/payout'>>().toEqualTypeOf<components['schemas']['CreatePayoutSessionPayload']>();
    expectTypeOf<RequestBody<'POST', '/v1/sessions/payout'>>().toEqualTypeOf<RequestBody<'post', '/v1/sessions/payout'>>();
    expectTypeOf<ResponseData<'get', '/v1/status/payout/{reference_id}'>>().toEqualTypeOf<ExecutionResponse>();
    expectTypeOf<ResponseData<'post', '/v1/jwt/client/obtain/token'>>().toEqualTypeOf<components['schemas']['ObtainTokenResponse']>();
    // @ts-expect-error no GET on the payout session endpoint
    type _NoGet = RequestBody<'get', '/v1/sessions/payout'>;
  });

  it('client.request takes the method as users write it', async () => {
    const lower = await client.request('post', '/v1/sessions/payout', { body: { payout_account_id: 1, amount: 5, currency: 'USD' } });
    const upper = await client.request('POST', '/v1/sessions/payout', { body: { payout_account_id: 1, amount: 5, currency: 'USD' } });
    expectTypeOf(upper.data).toEqualTypeOf(lower.data);
    // @ts-expect-error the body is checked for upper-case methods too
    void client.request('POST', '/v1/sessions/payout', { body: { payout_account_id: 1, amount: '5', currency: 'USD' } });
  });
});

describe('executions', () => {
  it('takes the snake_case body of each kind, from the spec', () => {
    expectTypeOf<ExecutionBody<'payout'>>().toEqualTypeOf<PayoutRequest>();
    expectTypeOf<ExecutionBody<'refund'>>().toEqualTypeOf<components['schemas']['RefundExecutionPayload']>();
    expectTypeOf<ExecutionKind>().toEqualTypeOf<'collection' | 'payout' | 'transfer' | 'refund'>();
    expectTypeOf<ExecutionStatus>().toEqualTypeOf<'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED'>();
    expectTypeOf(client.execute('payout', body)).resolves.toEqualTypeOf<Execution>();
    expectTypeOf(client.getExecution('refund', body.reference_id)).resolves.toEqualTypeOf<Execution | null>();
    expectTypeOf(client.waitForExecution('payout', body.reference_id)).resolves.toEqualTypeOf<Execution>();
    expectTypeOf(client.waitForExecution).parameter(2).toEqualTypeOf<
      { signal?: AbortSignal; pollIntervalMs?: number; maxWaitMs?: number; onStatus?: (execution: Execution) => void } | undefined
    >();
    expectTypeOf<RequestOptions>().toEqualTypeOf<{ signal?: AbortSignal; timeoutMs?: number; maxRetries?: number }>();
    // @ts-expect-error a payout body is not a collection body (no payment_account_id, currency)
    void client.execute('collection', body);
    // @ts-expect-error not a kind
    void client.execute('withdrawal', body);
  });
});

describe('Execution: the spec\'s ExecutionResponse with a typed status', () => {
  it('types status as the four statuses and keeps every other field', () => {
    expectTypeOf<Execution['status']>().toEqualTypeOf<ExecutionStatus>();
    expectTypeOf<Omit<Execution, 'status'>>().toEqualTypeOf<Omit<ExecutionResponse, 'status'>>();
    // An Execution is still an ExecutionResponse (code written against the spec type keeps compiling).
    expectTypeOf<Execution>().toExtend<ExecutionResponse>();
  });

  it('refuses a misspelled status', async () => {
    const done = await client.waitForExecution('payout', body.reference_id);
    // @ts-expect-error 'COMPLETD' is not an ExecutionStatus
    if (done.status === 'COMPLETD') void done;
    switch (done.status) {
      case 'COMPLETED':
        break;
      // @ts-expect-error 'SUCCESS' is not an ExecutionStatus
      case 'SUCCESS':
        break;
    }
    const executed = await client.execute('payout', body);
    // @ts-expect-error 'complete' is not an ExecutionStatus
    void (executed.status === 'complete');
  });

  it('isFinalStatus narrows Execution[\'status\']', async () => {
    const found = await client.getExecution('payout', body.reference_id);
    if (found === null) return;
    if (isFinalStatus(found.status)) expectTypeOf(found.status).toEqualTypeOf<'COMPLETED' | 'FAILED'>();
    else expectTypeOf(found.status).toEqualTypeOf<'PENDING' | 'PROCESSING'>();
  });
});

describe('errors', () => {
  it('DollrWaitTimeoutError carries the last ExecutionResponse', () => {
    expectTypeOf<DollrWaitTimeoutError['lastStatus']>().toEqualTypeOf<ExecutionResponse | null>();
    expectTypeOf<DollrConnectionError['processed']>().toEqualTypeOf<false | 'unknown'>();
  });
});
