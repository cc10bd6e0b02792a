/**
 * End to end: the real client (`createDollrClient` with client credentials) against the
 * sandbox, through the documented flows and the failures a merchant must be able to test:
 * expired session, wrong passcode, reused reference id, token expiry mid-run, a failed payout,
 * and a payout whose answer is lost after it went through (the client reconciles).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDollrClient, createPasscode, DollrApiError, newReferenceId, serverDevice } from '../../src/index.js';
import type { DollrClient } from '../../src/index.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox, SandboxOptions } from '../../src/testing/index.js';

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

interface Counted {
  tokens: number;
  unauthorized: number;
}

async function setup(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; client: DollrClient; counted: Counted }> {
  const sandbox = await startSandbox({ settleAfterMs: 200, ...options });
  open.push(sandbox);
  const counted: Counted = { tokens: 0, unauthorized: 0 };
  const client = createDollrClient({
    auth: sandbox.credentials,
    baseUrl: sandbox.url,
    backoff: { initialDelayMs: 10, maxDelayMs: 50 },
    logLevel: 'off',
    fetch: async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/jwt/client/obtain/token')) counted.tokens++;
      const response = await fetch(input, init);
      if (response.status === 401) counted.unauthorized++;
      return response;
    },
  });
  return { sandbox, client, counted };
}

/** Party, PAYOUT payment account and payout session, through the typed raw calls. */
async function payoutSession(client: DollrClient, amount = 25) {
  const party = await client.POST('/v1/parties/create', { body: { fullname: 'Jane Doe', phone: '231771234567' } });
  const account = await client.POST('/v1/payment-accounts/create', {
    params: { query: { operation_type: 'PAYOUT' } },
    body: { account_name: 'Jane MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.data!.id },
  });
  const session = await client.POST('/v1/sessions/payout', {
    body: { payout_account_id: account.data!.id, amount, currency: 'USD' },
  });
  expect(session.error).toBeUndefined();
  return { account: account.data!, session: session.data! };
}

const passcodeFor = (sandbox: Sandbox, code = sandbox.passcode.code) =>
  createPasscode({ code, phone: sandbox.passcode.phone, device: serverDevice({ clientIp: '203.0.113.10' }) });

describe('documented flows', () => {
  it('payout: token, payment account, payout session, execution, waitForExecution to COMPLETED', async () => {
    const { sandbox, client, counted } = await setup();
    const { account, session } = await payoutSession(client, 40);
    expect(session).toMatchObject({ payout_account_id: account.id, amount: 40, currency: 'USD', wallet_id: expect.any(Number) });
    expect(Date.parse(session.expires_at)).toBeGreaterThan(Date.now());

    const referenceId = newReferenceId();
    const execution = await client.payout({ sessionId: session.id, payoutAccountId: account.id, referenceId, passcode: passcodeFor(sandbox) });
    expect(execution).toMatchObject({ reference_id: referenceId, status: 'PENDING', payer_amount: 40, payer_currency: 'USD', operation_type: 'PAYOUT' });

    const statuses: string[] = [];
    const done = await client.waitForExecution('payout', referenceId, { pollIntervalMs: 20, onStatus: (e) => statuses.push(e.status) });
    expect(done).toMatchObject({ reference_id: referenceId, status: 'COMPLETED', payee_amount: 40 });
    expect(done.provider_transaction_id).toMatch(/^SBX-/);
    expect(statuses.at(-1)).toBe('COMPLETED');

    const raw = await client.GET('/v1/status/payout/{reference_id}', { params: { path: { reference_id: referenceId } } });
    expect(raw.data?.status).toBe('COMPLETED');
    expect(counted.tokens).toBe(1);
    expect(sandbox.executions()).toMatchObject([{ kind: 'payout', referenceId, status: 'COMPLETED', sends: 1 }]);
  });

  it('collection through a checkout: checkouts/create, checkout session, collection execution, invoice PAID', async () => {
    const { client } = await setup();
    const checkout = await client.POST('/v1/checkouts/create', {
      body: { mode: 'PAYMENT_LINK', source_kind: 'INVOICE', party_phone: '231886543210', currency: 'USD', items: [{ name: 'Ticket', currency: 'USD', amount: 15 }] },
    });
    expect(checkout.data).toMatchObject({ source_type: 'INVOICE', source_status: 'ACTIVE', total_amount: 15 });
    const session = await client.POST('/v1/sessions/checkout', { body: { source_id: checkout.data!.source_id, source_type: 'INVOICE' } });
    const payer = await client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type: 'COLLECTION' } },
      body: { account_name: 'Ama MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: checkout.data!.party_id },
    });
    const referenceId = newReferenceId();
    const execution = await client.execute('collection', {
      session_id: String(session.data!.id),
      payment_account_id: String(payer.data!.id),
      currency: 'USD',
      reference_id: referenceId,
    });
    expect(execution).toMatchObject({ reference_id: referenceId, status: 'PENDING', payer_amount: 15, operation_type: 'COLLECTION' });
    expect((await client.waitForExecution('collection', referenceId, { pollIntervalMs: 20 })).status).toBe('COMPLETED');
    const source = await client.GET('/v1/status/source', { params: { query: { source_type: 'INVOICE', source_id: checkout.data!.source_id } } });
    expect(source.data).toMatchObject({ status: 'PAID', total_amount: 15 });
  });

  it('a transfer and a refund', async () => {
    const { client } = await setup();
    const party = await client.POST('/v1/parties/create', { body: { fullname: 'Kofi', phone: '231776666666' } });
    const counterparty = await client.POST('/v1/counterparties/create', { body: { relationship_type: 'SUPPLIER', party_id: party.data!.id } });
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const transferSession = await client.POST('/v1/sessions/transfer', {
      body: { from_wallet_id: 1001, to_counterparty_id: counterparty.data!.id as number, amount: 12.5, currency: 'LRD', expires_at: expiresAt },
    });
    const transferRef = newReferenceId();
    const transfer = await client.execute('transfer', { session_id: String(transferSession.data!.id), reference_id: transferRef });
    expect(transfer).toMatchObject({ reference_id: transferRef, operation_type: 'TRANSFER', payer_amount: 12.5, payer_currency: 'LRD' });
    expect((await client.waitForExecution('transfer', transferRef, { pollIntervalMs: 20 })).status).toBe('COMPLETED');

    const refundSession = await client.POST('/v1/sessions/refund', {
      body: { original_payment_intent_id: 7, amount: 5, reason: 'Damaged item', expires_at: expiresAt },
    });
    const refundId = (refundSession.data as { id: number }).id;
    const refundRef = newReferenceId();
    const refund = await client.execute('refund', { session_id: String(refundId), reference_id: refundRef });
    expect(refund).toMatchObject({ reference_id: refundRef, operation_type: 'REFUND', payer_amount: 5 });
    expect((await client.waitForExecution('refund', refundRef, { pollIntervalMs: 20 })).status).toBe('COMPLETED');
  });
});

describe('failures a merchant must be able to test', () => {
  it('an expired session: 422 on body.session_id', async () => {
    const { sandbox, client } = await setup({ sessionTtlMs: 100 });
    const { account, session } = await payoutSession(client);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const error = await client
      .payout({ sessionId: session.id, payoutAccountId: account.id, referenceId: newReferenceId(), passcode: passcodeFor(sandbox) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(422);
    expect((error as DollrApiError).issues).toEqual([expect.objectContaining({ path: 'body.session_id', message: expect.stringMatching(/expired/) })]);
    expect(sandbox.executions()).toEqual([]);
  });

  it('a wrong passcode: 403, nothing processed, and the code never in the error', async () => {
    const { sandbox, client } = await setup();
    const { account, session } = await payoutSession(client);
    const error = await client
      .payout({ sessionId: session.id, payoutAccountId: account.id, referenceId: newReferenceId(), passcode: passcodeFor(sandbox, 'wrong-passcode-123') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(403);
    expect(JSON.stringify(error) + String(error)).not.toContain('wrong-passcode-123');
    expect(sandbox.executions()).toEqual([]);
  });

  it('a reused reference id: 422 on body.reference_id', async () => {
    const { sandbox, client } = await setup();
    const first = await payoutSession(client);
    const referenceId = newReferenceId();
    await client.payout({ sessionId: first.session.id, payoutAccountId: first.account.id, referenceId, passcode: passcodeFor(sandbox) });
    const second = await payoutSession(client);
    const error = await client
      .payout({ sessionId: second.session.id, payoutAccountId: second.account.id, referenceId, passcode: passcodeFor(sandbox) })
      .catch((e: unknown) => e);
    expect((error as DollrApiError).status).toBe(422);
    expect((error as DollrApiError).issues.map((i) => i.path)).toEqual(['body.reference_id']);
    expect(sandbox.executions()).toMatchObject([{ referenceId, sends: 2 }]);
  });

  it('a token that expires mid-run: one 401, one refresh, the call succeeds', async () => {
    const { client, counted } = await setup({ tokenTtlMinutes: 0.005 }); // 300 ms; expires_in still reads 1
    expect((await client.GET('/v1/fees/tiers')).response.status).toBe(200);
    expect(counted.tokens).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    const after = await client.GET('/v1/fees/tiers');
    expect(after.response.status).toBe(200);
    expect(counted).toEqual({ tokens: 2, unauthorized: 1 });
  });

  it('setOutcome FAILED: the payout settles FAILED with its wallet_message', async () => {
    const { sandbox, client } = await setup();
    const { account, session } = await payoutSession(client);
    const referenceId = newReferenceId();
    sandbox.setOutcome(referenceId, { status: 'FAILED', message: 'Insufficient balance in wallet 1001' });
    const execution = await client.payout({ sessionId: session.id, payoutAccountId: account.id, referenceId, passcode: passcodeFor(sandbox) });
    expect(execution.status).toBe('PENDING');
    const done = await client.waitForExecution('payout', referenceId, { pollIntervalMs: 20 });
    expect(done).toMatchObject({ status: 'FAILED', wallet_message: 'Insufficient balance in wallet 1001', provider_transaction_id: null });
  });

  it("'reset-after' on a payout: the client reconciles, resolves with the status, and it was processed once", async () => {
    const { sandbox, client } = await setup();
    const { account, session } = await payoutSession(client);
    const referenceId = newReferenceId();
    sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: 'reset-after' });
    const execution = await client.payout({ sessionId: session.id, payoutAccountId: account.id, referenceId, passcode: passcodeFor(sandbox) });
    expect(execution.reference_id).toBe(referenceId);
    expect(['PENDING', 'PROCESSING', 'COMPLETED']).toContain(execution.status);
    expect(sandbox.executions()).toMatchObject([{ kind: 'payout', referenceId, sends: 1 }]);
    expect(sandbox.executions()).toHaveLength(1);
  });
});
