/**
 * The sandbox's faults through the real client (createDollrClient over sockets, nothing
 * stubbed): each fault a gateway in front of Dollr can produce, and the rule the client keeps
 * against it (issue 15): a processed execution whose answer is lost or mangled resolves through a
 * status lookup with exactly one execution recorded, or fails typed with `processed: 'unknown'`;
 * a redirect is never followed (DollrApiError); nothing ends later than its deadline.
 * The request log is the server-side witness of what the client sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DollrApiError, DollrError, createDollrClient, createPasscode, newReferenceId, serverDevice } from '../../src/index.js';
import type { DollrClient, ExecutionKind, ExecutionResponse } from '../../src/index.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox, SandboxFault } from '../../src/testing/index.js';

const CLIENT_ID = 'client-faults-suite';
const CLIENT_SECRET = 'cs-SECRET-client-faults-5521';
const CODE = 'pc-SECRET-7730';
const PHONE = '231771234567';
const KINDS: readonly ExecutionKind[] = ['payout', 'transfer', 'refund', 'collection'];
const TIMEOUT_MS = 1_500;
/** Far from the client's deadline: a call still pending by then never ends by itself. */
const GUARD_MS = 15_000;

let sandbox: Sandbox;
let client: DollrClient;
beforeAll(async () => {
  sandbox = await startSandbox({
    settleAfterMs: 0,
    credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    passcode: { code: CODE, phone: PHONE },
  });
});
beforeEach(() => {
  sandbox.reset();
  client = createDollrClient({
    baseUrl: sandbox.url,
    auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    maxRetries: 2,
    timeoutMs: TIMEOUT_MS,
    backoff: { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
    logLevel: 'off',
  });
});
afterAll(() => sandbox.close());

function must<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

/** Creates what an execution of `kind` needs, and returns the call that sends it. */
async function prepare(kind: ExecutionKind): Promise<{ referenceId: string; send: () => Promise<ExecutionResponse> }> {
  const referenceId = newReferenceId();
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const party = must(await client.POST('/v1/parties/create', { body: { fullname: 'Jane Doe', phone: PHONE } }), 'party');
  const account = (operation_type: 'PAYOUT' | 'COLLECTION') =>
    client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type } },
      body: { account_name: 'Jane MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.id },
    });
  if (kind === 'payout') {
    const payoutAccount = must(await account('PAYOUT'), 'payout account');
    const session = must(await client.POST('/v1/sessions/payout', { body: { payout_account_id: payoutAccount.id, amount: 25, currency: 'USD' } }), 'session');
    const passcode = createPasscode({ code: CODE, phone: PHONE, device: serverDevice({ clientIp: '203.0.113.10', userAgent: 'client-faults/1.0' }) });
    return { referenceId, send: () => client.payout({ sessionId: session.id, payoutAccountId: payoutAccount.id, referenceId, passcode }) };
  }
  if (kind === 'transfer') {
    const counterparty = must(await client.POST('/v1/counterparties/create', { body: { relationship_type: 'SUPPLIER', party_id: party.id } }), 'counterparty') as { id: number };
    const session = must(
      await client.POST('/v1/sessions/transfer', {
        body: { from_wallet_id: 1001, to_counterparty_id: counterparty.id, amount: 12.5, currency: 'USD', expires_at: inAnHour },
      }),
      'transfer session',
    );
    return { referenceId, send: () => client.execute('transfer', { session_id: String(session.id), reference_id: referenceId }) };
  }
  if (kind === 'refund') {
    const session = must(
      await client.POST('/v1/sessions/refund', { body: { original_payment_intent_id: 1, amount: 5, reason: 'Damaged item', expires_at: inAnHour } }),
      'refund session',
    ) as { id?: unknown };
    return { referenceId, send: () => client.execute('refund', { session_id: String(session.id), reference_id: referenceId }) };
  }
  const collector = must(await account('COLLECTION'), 'collection account');
  const checkout = must(
    await client.POST('/v1/checkouts/create', {
      body: { mode: 'PAYMENT_LINK', source_kind: 'INVOICE', party_name: 'Ama K', party_phone: '231886543210', currency: 'USD', items: [{ name: 'Ticket', currency: 'USD', amount: 15 }] },
    }),
    'checkout',
  );
  const session = must(await client.POST('/v1/sessions/checkout', { body: { source_id: checkout.source_id, source_type: 'INVOICE' } }), 'checkout session');
  return {
    referenceId,
    send: () => client.execute('collection', { session_id: String(session.id), payment_account_id: String(collector.id), currency: 'USD', reference_id: referenceId }),
  };
}

/** Settles `promise`, or fails the test if it is still pending after GUARD_MS. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${GUARD_MS} ms`)), GUARD_MS);
  });
  try {
    const value = await Promise.race([promise, guard]);
    return { value, ms: Date.now() - started };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('still pending')) throw error;
    return { error, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

const lookups = (referenceId: string) => sandbox.requests().filter((r) => r.method === 'GET' && r.referenceId === referenceId);

describe('{ status: 503, processed: true }: the execution landed, the gateway answered 503', () => {
  for (const kind of KINDS) {
    it(`${kind}: resolves through a status lookup, exactly one execution recorded`, async () => {
      const { referenceId, send } = await prepare(kind);
      sandbox.inject({ method: 'POST', path: `/v1/executions/${kind}`, fault: { status: 503, processed: true } });
      const result = await settle(send());
      expect(result.error).toBeUndefined();
      expect(result.value).toMatchObject({ reference_id: referenceId, operation_type: kind.toUpperCase() });
      expect(sandbox.executions()).toMatchObject([{ kind, referenceId, sends: 1 }]);
      expect(lookups(referenceId).length).toBeGreaterThanOrEqual(1);
      const post = sandbox.requests().filter((r) => r.method === 'POST' && r.path === `/v1/executions/${kind}`);
      expect(post).toMatchObject([{ status: 503, fault: 'status 503 processed', referenceId }]);
    });
  }
});

describe('redirects are never followed', () => {
  it('a 307 on the payout POST is a DollrApiError; the Location (the same payout URL) is not sent to', async () => {
    const { referenceId, send } = await prepare('payout');
    sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: { redirect: `${sandbox.url}/v1/executions/payout` } });
    const result = await settle(send());
    expect(result.error).toBeInstanceOf(DollrApiError);
    expect((result.error as DollrApiError).status).toBe(307);
    // Nothing processed, and no second POST reached the sandbox (following would re-send it).
    expect(sandbox.executions()).toEqual([]);
    expect(sandbox.requests().filter((r) => r.method === 'POST' && r.path === '/v1/executions/payout')).toMatchObject([
      { status: 307, fault: 'redirect 307', referenceId: null },
    ]);
    expect(lookups(referenceId)).toEqual([]);
  });

  for (const status of [301, 302, 303, 308] as const) {
    it(`a ${status} on a GET is a DollrApiError, and its Location is not fetched`, async () => {
      sandbox.inject({ method: 'GET', path: '/v1/fees/tiers', fault: { redirect: `${sandbox.url}/v1/fees/gateway`, status } });
      const result = await settle(client.GET('/v1/fees/tiers'));
      const answered = result.error ?? result.value;
      // openapi-fetch resolves non-2xx as { error, response }; the transport may also throw.
      const seen = answered instanceof DollrApiError ? answered.status : (answered as { response?: Response })?.response?.status;
      expect(seen).toBe(status);
      expect(sandbox.requests().map((r) => r.path)).not.toContain('/v1/fees/gateway');
    });
  }
});

describe('stalled, dripping and truncated answers of a processed payout', () => {
  const faults: Array<[string, SandboxFault]> = [
    ['stall', 'stall'],
    ['drip', { dripMs: 250 }],
    ['truncate', 'truncate'],
  ];
  for (const [name, fault] of faults) {
    it(`${name}: ends well before ${GUARD_MS} ms, with the reconciled execution or a typed error (processed 'unknown'); one execution`, async () => {
      const { referenceId, send } = await prepare('payout');
      sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault });
      const result = await settle(send());
      if (result.error === undefined) {
        expect(result.value).toMatchObject({ reference_id: referenceId });
        expect(lookups(referenceId).length).toBeGreaterThanOrEqual(1);
      } else {
        expect(result.error).toBeInstanceOf(DollrError);
        expect((result.error as { processed?: unknown }).processed).toBe('unknown');
      }
      expect(sandbox.executions()).toMatchObject([{ referenceId, sends: 1 }]);
    });
  }
});

describe('the request log', () => {
  it('shows a lost answer as the token request, the send, the lookup, in order, with no secret', async () => {
    const { referenceId, send } = await prepare('payout');
    const before = sandbox.requests().length;
    sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: 'reset-after' });
    await expect(send()).resolves.toMatchObject({ reference_id: referenceId });
    const all = sandbox.requests();
    expect(all[0]).toMatchObject({ method: 'POST', path: '/v1/jwt/client/obtain/token', operation: '/{version}/jwt/client/obtain/token', status: 200 });
    const flow = all.slice(before);
    expect(flow.map((r) => [r.method, r.operation, r.status, r.fault, r.referenceId])).toEqual([
      ['POST', '/{version}/executions/payout', null, 'reset-after', referenceId],
      ['GET', '/{version}/status/payout/{reference_id}', 200, null, referenceId],
    ]);
    for (const r of all) expect(Date.parse(r.time)).toBeGreaterThan(0);
    const text = JSON.stringify(all) + JSON.stringify(await (await fetch(`${sandbox.url}/_sandbox/requests`)).json());
    for (const secret of [CLIENT_SECRET, CODE, 'Bearer', 'sbx_']) expect(text).not.toContain(secret);
    expect(JSON.parse(text.slice(0, JSON.stringify(all).length))).toEqual(all);
  });
});
