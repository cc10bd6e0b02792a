/**
 * The sandbox's documented behaviour over raw HTTP: auth and its 401 bodies, FastAPI 422s from
 * real schema validation, the business rules in their documented order, and the lifecycle of
 * executions and invoices.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { connect, payoutBody, payoutSetup, sleep, until } from './helpers.js';
import type { Api } from './helpers.js';

let sandbox: Sandbox;
let api: Api;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 0 });
  api = await connect(sandbox);
});
afterAll(() => sandbox.close());

describe('auth', () => {
  it('issues a token for sandbox.credentials; expires_in in whole minutes, at least 1', async () => {
    for (const [ttl, minutes] of [[0.01, 1], [1.9, 1], [90.7, 90]] as const) {
      const s = await startSandbox({ tokenTtlMinutes: ttl });
      try {
        const r = await fetch(`${s.url}/v1/jwt/client/obtain/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: s.credentials.clientId, client_secret: s.credentials.clientSecret }),
        });
        const body = (await r.json()) as { access_token: string; expires_in: number };
        expect(r.status).toBe(200);
        expect(body.expires_in).toBe(minutes);
        expect(body.access_token).toMatch(/^\S{20,}$/);
      } finally {
        await s.close();
      }
    }
  });

  it('refuses a wrong client secret or client id with 401', async () => {
    for (const body of [
      { client_id: sandbox.credentials.clientId, client_secret: `${sandbox.credentials.clientSecret}x` },
      { client_id: 'someone-else', client_secret: sandbox.credentials.clientSecret },
    ]) {
      const r = await api.send('POST', '/v1/jwt/client/obtain/token', body, { token: null });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ detail: 'Could not validate credentials' });
    }
  });

  it('answers 401 "Not authenticated" without a bearer, "Could not validate credentials" with a wrong one', async () => {
    const none = await api.send('GET', '/v1/fees/tiers', undefined, { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ detail: 'Not authenticated' });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await api.send('GET', '/v1/fees/tiers', undefined, { token: 'not-a-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ detail: 'Could not validate credentials' });
  });

  it('expires tokens after tokenTtlMinutes (fractional)', async () => {
    const s = await startSandbox({ tokenTtlMinutes: 0.005 }); // 300 ms
    try {
      const a = await connect(s);
      expect((await a.send('GET', '/v1/fees/tiers')).status).toBe(200);
      await sleep(350);
      const expired = await a.send('GET', '/v1/fees/tiers');
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual({ detail: 'Could not validate credentials' });
    } finally {
      await s.close();
    }
  });
});

describe('request validation (FastAPI 422 shape)', () => {
  it('reports missing fields, bounds and lengths on body.*', async () => {
    const r = await api.send('POST', '/v1/sessions/payout', { amount: 0, currency: 'US' });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      detail: [
        { loc: ['body', 'payout_account_id'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'amount'], msg: 'Input should be greater than or equal to 0.01', type: 'greater_than_equal' },
        { loc: ['body', 'currency'], msg: 'String should have at least 3 characters', type: 'string_too_short' },
      ],
    });
  });

  it('reports nested fields, types and patterns', async () => {
    const r = await api.send('POST', '/v1/executions/payout', {
      session_id: 42,
      payout_account_id: '1',
      reference_id: randomUUID(),
      passcode: { token: { phone: '1234' }, device: { name: 'x', type: 'SERVER', platform: 'NODE', user_agent: 'u' } },
    });
    expect(r.status).toBe(422);
    expect(r.body.detail).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'session_id'], msg: 'Input should be a valid string', type: 'string_type' },
        { loc: ['body', 'passcode', 'token', 'code'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'passcode', 'token', 'phone'], msg: 'String should have at least 8 characters', type: 'string_too_short' },
        { loc: ['body', 'passcode', 'device', 'client_ip'], msg: 'Field required', type: 'missing' },
      ]),
    );
    const party = await api.send('POST', '/v1/parties/create', { fullname: 'X', phone: '+231771234567' });
    expect(party.body.detail).toEqual([
      { loc: ['body', 'phone'], msg: "String should match pattern '^[1-9]\\d{7,14}$'", type: 'string_pattern_mismatch' },
    ]);
  });

  it('checks and coerces query and path parameters', async () => {
    const missing = await api.send('GET', '/v1/fees/platform?operation_type=PAYOUT');
    expect(missing.body).toEqual({ detail: [{ loc: ['query', 'fee_tier_name'], msg: 'Field required', type: 'missing' }] });
    const badEnum = await api.send('GET', '/v1/fees/platform?operation_type=PAY&fee_tier_name=A');
    expect(badEnum.body).toEqual({
      detail: [{ loc: ['query', 'operation_type'], msg: "Input should be 'COLLECTION', 'PAYOUT', 'TRANSFER' or 'REFUND'", type: 'enum' }],
    });
    const badInt = await api.send('GET', '/v1/fees/merchant-tier?owner_type=ORGANIZATION&owner_id=abc');
    expect(badInt.body).toEqual({ detail: [{ loc: ['query', 'owner_id'], msg: 'Input should be a valid integer', type: 'int_type' }] });
    const coerced = await api.send('GET', '/v1/fees/merchant-tier?owner_type=ORGANIZATION&owner_id=7');
    expect(coerced.body.owner_id).toBe(7);
    const version = await api.send('GET', '/v2/fees/tiers');
    expect(version.body).toEqual({ detail: [{ loc: ['path', 'version'], msg: "Input should be 'v1'", type: 'literal_error' }] });
  });

  it('refuses bad JSON and a missing body; unknown paths 404, wrong methods 405', async () => {
    const bad = await api.send('POST', '/v1/sessions/payout', undefined, { raw: '{"amount": ' });
    expect(bad.body).toEqual({ detail: [{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }] });
    const none = await api.send('POST', '/v1/sessions/payout');
    expect(none.body).toEqual({ detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] });
    expect((await api.send('GET', '/v1/nothing/here')).status).toBe(404);
    expect((await api.send('DELETE', '/v1/fees/tiers')).status).toBe(405);
  });
});

describe('business rules', () => {
  const refusal = (field: string, msg: RegExp) => ({
    detail: [{ loc: ['body', field], msg: expect.stringMatching(msg) as unknown, type: 'value_error' }],
  });

  it('needs a live session of its own kind (422 on body.session_id)', async () => {
    const setup = await payoutSetup(api);
    const unknown = await api.send('POST', '/v1/executions/payout', payoutBody(sandbox, { ...setup, sessionId: 987654 }));
    expect(unknown.status).toBe(422);
    expect(unknown.body).toEqual(refusal('session_id', /not found/));
    const wrongKind = await api.send('POST', '/v1/executions/refund', { session_id: String(setup.sessionId), reference_id: randomUUID() });
    expect(wrongKind.body).toEqual(refusal('session_id', /payout session, not a refund session/));

    const s = await startSandbox({ sessionTtlMs: 100 });
    try {
      const a = await connect(s);
      const short = await payoutSetup(a);
      await sleep(150);
      const expired = await a.send('POST', '/v1/executions/payout', payoutBody(s, short));
      expect(expired.status).toBe(422);
      expect(expired.body).toEqual(refusal('session_id', /expired/));
      expect(s.executions()).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('refuses a reused reference_id on body.reference_id, before looking at the (now used) session', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    expect((await api.send('POST', '/v1/executions/payout', body)).status).toBe(200);
    const again = await api.send('POST', '/v1/executions/payout', body);
    expect(again.status).toBe(422);
    expect(again.body).toEqual(refusal('reference_id', /already exists/));
    const record = sandbox.executions().find((e) => e.referenceId === body.reference_id);
    expect(record).toMatchObject({ kind: 'payout', sends: 2, body });
    expect(sandbox.executions().filter((e) => e.referenceId === body.reference_id)).toHaveLength(1);

    const used = await api.send('POST', '/v1/executions/payout', { ...body, reference_id: randomUUID() });
    expect(used.body).toEqual(refusal('session_id', /already been used/));
    const notV4 = await api.send('POST', '/v1/executions/payout', { ...body, reference_id: 'payout-1' });
    expect(notV4.body).toEqual(refusal('reference_id', /version-4 UUID/));
  });

  it('answers 403 to a wrong passcode code or phone, and processes nothing', async () => {
    const setup = await payoutSetup(api);
    const before = sandbox.executions().length;
    const code = payoutBody(sandbox, setup);
    (code.passcode as { token: { code: string } }).token.code = 'wrong';
    const wrongCode = await api.send('POST', '/v1/executions/payout', code);
    expect(wrongCode.status).toBe(403);
    expect(wrongCode.body).toEqual({ detail: 'Invalid passcode' });
    const phone = payoutBody(sandbox, setup);
    (phone.passcode as { token: { phone: string } }).token.phone = '231770000000';
    expect((await api.send('POST', '/v1/executions/payout', phone)).status).toBe(403);
    expect(sandbox.executions()).toHaveLength(before);
    // The session is still usable after a refused passcode.
    expect((await api.send('POST', '/v1/executions/payout', payoutBody(sandbox, setup))).status).toBe(200);
  });

  it('answers 404 {"detail":"Not Found"} to an unknown reference id, or one of another kind', async () => {
    const unknown = await api.send('GET', `/v1/status/payout/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'Not Found' });
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    await api.send('POST', '/v1/executions/payout', body);
    expect((await api.send('GET', `/v1/status/transfer/${String(body.reference_id)}`)).status).toBe(404);
  });

  it('needs a published invoice for a checkout session', async () => {
    const party = await api.send('POST', '/v1/parties/create', { fullname: 'Ama', phone: '231886543210' });
    const cp = await api.send('POST', '/v1/counterparties/create', { relationship_type: 'CUSTOMER', party_id: party.body.id });
    const invoice = await api.send('POST', '/v1/invoices/create', { counterparty_id: cp.body.id, currency: 'USD', note: 'n', fee_bearer: 'PAYER', as_payment_link: true });
    expect(invoice.body.status).toBe('IDLE');
    const early = await api.send('POST', '/v1/sessions/checkout', { source_id: invoice.body.id, source_type: 'INVOICE' });
    expect(early.body).toEqual(refusal('source_id', /not published/));
    await api.send('POST', `/v1/invoices/${String(invoice.body.id)}/items/add`, { name: 'Item', currency: 'USD', qty: 3, amount: 10 });
    expect((await api.send('PUT', `/v1/invoices/publish/${String(invoice.body.id)}`)).body).toMatchObject({ status: 'ACTIVE', total_amount: 30 });
    const session = await api.send('POST', '/v1/sessions/checkout', { source_id: invoice.body.id, source_type: 'INVOICE' });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ source_id: invoice.body.id, source_type: 'INVOICE', status: 'ACTIVE' });
  });
});

describe('lifecycle', () => {
  it('PENDING, then PROCESSING, then COMPLETED with a provider transaction id, carrying the sent values', async () => {
    const s = await startSandbox({ settleAfterMs: 1_000 });
    try {
      const a = await connect(s);
      const setup = await payoutSetup(a, 42.5);
      const body = payoutBody(s, setup);
      const started = Date.now();
      const created = await a.send('POST', '/v1/executions/payout', body);
      expect(created.body).toMatchObject({
        reference_id: body.reference_id, status: 'PENDING', payer_amount: 42.5, payer_currency: 'USD',
        payee_amount: 42.5, payee_currency: 'USD', operation_type: 'PAYOUT', provider_transaction_id: null,
      });
      const read = () => a.send('GET', `/v1/status/payout/${String(body.reference_id)}`);
      const first = await read();
      if (Date.now() - started < 450) expect(first.body.status).toBe('PENDING');
      const processing = await until(read, (r) => r.body.status !== 'PENDING');
      expect(processing.body.status).toBe('PROCESSING');
      const done = await until(read, (r) => r.body.status === 'COMPLETED');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(done.body).toMatchObject({ status: 'COMPLETED', reference_id: body.reference_id, payer_amount: 42.5, gateway_message: 'Successful' });
      expect(done.body.provider_transaction_id).toMatch(/^SBX-[0-9A-F]{12}$/);
    } finally {
      await s.close();
    }
  });

  it('setOutcome FAILED, set before or after the execution: wallet_message on payouts, gateway_message otherwise', async () => {
    const setup = await payoutSetup(api);
    const before = payoutBody(sandbox, setup);
    sandbox.setOutcome(String(before.reference_id), { status: 'FAILED', message: 'Wallet balance too low' });
    await api.send('POST', '/v1/executions/payout', before);
    const failed = await api.send('GET', `/v1/status/payout/${String(before.reference_id)}`);
    expect(failed.body).toMatchObject({ status: 'FAILED', wallet_message: 'Wallet balance too low', provider_transaction_id: null });

    const party = await api.send('POST', '/v1/parties/create', { fullname: 'Kofi', phone: '231776666666' });
    const cp = await api.send('POST', '/v1/counterparties/create', { relationship_type: 'SUPPLIER', party_id: party.body.id });
    const session = await api.send('POST', '/v1/sessions/transfer', {
      from_wallet_id: setup.walletId, to_counterparty_id: cp.body.id, amount: 7, currency: 'LRD', expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    const ref = randomUUID();
    await api.send('POST', '/v1/executions/transfer', { session_id: String(session.body.id), reference_id: ref });
    sandbox.setOutcome(ref, { status: 'FAILED' });
    const transfer = await api.send('GET', `/v1/status/transfer/${ref}`);
    expect(transfer.body).toMatchObject({ status: 'FAILED', operation_type: 'TRANSFER', payer_amount: 7, payer_currency: 'LRD', wallet_message: null });
    expect(transfer.body.gateway_message).toEqual(expect.any(String));
    expect(sandbox.executions().find((e) => e.referenceId === ref)?.status).toBe('FAILED');
    expect(() => sandbox.setOutcome(ref, { status: 'DONE' as 'FAILED' })).toThrow(TypeError);
  });

  it('an invoice paid through a checkout goes ACTIVE, PROCESSING, PAID', async () => {
    const s = await startSandbox({ settleAfterMs: 300 });
    try {
      const a = await connect(s);
      const checkout = await a.send('POST', '/v1/checkouts/create', {
        mode: 'PAYMENT_LINK', source_kind: 'INVOICE', party_phone: '231886543210', currency: 'USD',
        items: [{ name: 'A', currency: 'USD', amount: 10 }, { name: 'B', currency: 'USD', amount: 2.5 }],
      });
      expect(checkout.body).toMatchObject({ source_status: 'ACTIVE', total_amount: 12.5, currency: 'USD' });
      const status = () => a.send('GET', `/v1/status/source?source_type=INVOICE&source_id=${String(checkout.body.source_id)}`);
      expect((await status()).body.status).toBe('ACTIVE');
      const session = await a.send('POST', '/v1/sessions/checkout', { source_id: checkout.body.source_id, source_type: 'INVOICE' });
      const account = await a.send('POST', '/v1/payment-accounts/create?operation_type=COLLECTION', {
        account_name: 'Payer', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: checkout.body.party_id,
      });
      const ref = randomUUID();
      const collected = await a.send('POST', '/v1/executions/collection', {
        session_id: String(session.body.id), payment_account_id: String(account.body.id), currency: 'USD', reference_id: ref,
      });
      expect(collected.body).toMatchObject({ status: 'PENDING', payer_amount: 12.5, operation_type: 'COLLECTION' });
      expect((await status()).body.status).toBe('PROCESSING');
      const paid = await until(status, (r) => r.body.status === 'PAID');
      expect(paid.body).toMatchObject({ status: 'PAID', total_amount: 12.5, paid_at: expect.any(String) });
      const again = await a.send('POST', '/v1/sessions/checkout', { source_id: checkout.body.source_id, source_type: 'INVOICE' });
      expect(again.status).toBe(422);
    } finally {
      await s.close();
    }
  });
});

describe('bounded memory', () => {
  it('evicts the oldest records past maxRecords', async () => {
    const s = await startSandbox({ maxRecords: 3 });
    try {
      const a = await connect(s);
      for (let i = 1; i <= 5; i++) await a.send('POST', '/v1/parties/create', { fullname: `P${i}`, phone: '231771234567' });
      const list = await a.send('GET', '/v1/parties/list');
      expect((list.body as unknown as { fullname: string }[]).map((p) => p.fullname)).toEqual(['P3', 'P4', 'P5']);
      expect((await a.send('GET', '/v1/parties/retrieve/1')).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe('an unverified merchant', () => {
  it('gets 403 on payouts and refunds, and nothing is processed', async () => {
    const s = await startSandbox({ verified: false });
    try {
      const a = await connect(s);
      const setup = await payoutSetup(a);
      const payout = await a.send('POST', '/v1/executions/payout', payoutBody(s, setup));
      expect(payout).toMatchObject({ status: 403, body: { detail: 'Merchant account is not fully verified' } });
      const refund = await a.send('POST', '/v1/executions/refund', { session_id: '1', reference_id: randomUUID() });
      expect(refund.status).toBe(403);
      expect(s.executions()).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
