/**
 * A scripted tour of every operation in openapi.json, in an order where each call has what it
 * needs (a party before its account, a published invoice before its checkout session). Shared
 * by the response-schema test and the Prism conformance test; each call names its operation
 * key, so coverage is checked against the spec rather than trusted.
 */
import { randomUUID } from 'node:crypto';
import type { Sandbox } from '../../src/testing/index.js';

export interface TourCall {
  key: string;
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;

/** `METHOD /{version}/...` for every operation in a spec document. */
export function operationKeys(spec: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

export const device = { name: 'Payout Server', type: 'SERVER', platform: 'NODE', user_agent: 'sandbox-tests/1.0', client_ip: '203.0.113.10' };

/** Runs the tour against `baseUrl` (the sandbox itself, or a proxy in front of it). */
export async function tour(baseUrl: string, sandbox: Pick<Sandbox, 'credentials' | 'passcode'>): Promise<TourCall[]> {
  const calls: TourCall[] = [];
  let token = '';
  async function call(key: string, init: { path?: Json; query?: Json; body?: unknown } = {}): Promise<Json> {
    const [method, template] = key.split(' ') as [string, string];
    let path = template.replace('{version}', 'v1');
    for (const [name, value] of Object.entries(init.path ?? {})) path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
    const search = new URLSearchParams(Object.entries(init.query ?? {}).map(([k, v]) => [k, String(v)]));
    const response = await fetch(`${baseUrl}${path}${search.size ? `?${search}` : ''}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    calls.push({ key, status: response.status, body });
    return (body ?? {}) as Json;
  }

  const issued = await call('POST /{version}/jwt/client/obtain/token', {
    body: { client_id: sandbox.credentials.clientId, client_secret: sandbox.credentials.clientSecret },
  });
  token = String(issued.access_token);

  const party = await call('POST /{version}/parties/create', { body: { fullname: 'Jane Doe', phone: '231771234567', email: 'jane@example.com', country_code: 'LR' } });
  await call('GET /{version}/parties/list', { query: { fullname: 'jane' } });
  await call('GET /{version}/parties/retrieve/{id}', { path: { id: party.id } });

  const counterparty = await call('POST /{version}/counterparties/create', { body: { relationship_type: 'CUSTOMER', party_id: party.id } });
  await call('GET /{version}/counterparties/list', { query: { relationship_type: 'CUSTOMER' } });
  await call('GET /{version}/counterparties/retrieve/{id}', { path: { id: counterparty.id } });
  await call('PUT /{version}/counterparties/update/{id}', { path: { id: counterparty.id }, body: { relationship_type: 'BENEFICIARY' } });

  const account = await call('POST /{version}/payment-accounts/create', {
    query: { operation_type: 'PAYOUT' },
    body: { account_name: 'Jane MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.id, country_code: 'LR', insensitive_account_number: '231771234567' },
  });

  const invoice = await call('POST /{version}/invoices/create', {
    body: { counterparty_id: counterparty.id, currency: 'USD', note: 'Consulting, May', fee_bearer: 'PAYER', as_payment_link: true },
  });
  await call('POST /{version}/invoices/{invoice_id}/items/add', { path: { invoice_id: invoice.id }, body: { name: 'Consulting', currency: 'USD', qty: 2, amount: 50 } });
  await call('PUT /{version}/invoices/publish/{id}', { path: { id: invoice.id } });
  await call('GET /{version}/invoices/list', { query: { currency: 'USD', status: 'ACTIVE' } });
  await call('GET /{version}/invoices/retrieve/{id}', { path: { id: invoice.id } });
  await call('GET /{version}/invoices/receipt/{id}', { path: { id: invoice.id } });
  await call('GET /{version}/invoices/receipt/number/{invoice_number}', { path: { invoice_number: invoice.invoice_number } });

  const order = await call('POST /{version}/orders/create', {
    body: { counterparty_id: counterparty.id, currency: 'USD', note: 'Order 7', fee_bearer: 'PAYEE', as_payment_link: false },
  });
  await call('POST /{version}/orders/{order_id}/items/add', { path: { order_id: order.id }, body: { name: 'Rice, 25 kg', currency: 'USD', qty: 1, amount: 30.5 } });
  await call('PUT /{version}/orders/publish/{id}', { path: { id: order.id } });
  await call('GET /{version}/orders/list', { query: { currency: 'USD' } });
  await call('GET /{version}/orders/retrieve/{id}', { path: { id: order.id } });
  await call('GET /{version}/orders/receipt/{id}', { path: { id: order.id } });
  await call('GET /{version}/orders/receipt/number/{order_number}', { path: { order_number: order.order_number } });

  const checkout = await call('POST /{version}/checkouts/create', {
    body: { mode: 'PAYMENT_LINK', source_kind: 'INVOICE', party_name: 'Ama K', party_phone: '231886543210', currency: 'USD', items: [{ name: 'Ticket', currency: 'USD', amount: 15 }] },
  });
  const checkoutSession = await call('POST /{version}/sessions/checkout', { body: { source_id: checkout.source_id, source_type: 'INVOICE' } });
  const collectionRef = randomUUID();
  await call('POST /{version}/realtime-keys/collection', { body: { session_id: checkoutSession.id, source_type: 'INVOICE', reference_id: collectionRef } });
  const collector = await call('POST /{version}/payment-accounts/create', {
    query: { operation_type: 'COLLECTION' },
    body: { account_name: 'Ama MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: checkout.party_id },
  });
  await call('POST /{version}/executions/collection', {
    body: { session_id: String(checkoutSession.id), payment_account_id: String(collector.id), currency: 'USD', reference_id: collectionRef },
  });
  await call('GET /{version}/status/collection/{reference_id}', { path: { reference_id: collectionRef } });
  await call('GET /{version}/status/source', { query: { source_type: 'INVOICE', source_id: checkout.source_id } });
  await call('GET /{version}/links/pay', { query: { source_type: 'INVOICE', source_number: checkout.source_number } });
  await call('GET /{version}/links/receipt', { query: { source_type: 'INVOICE', source_number: checkout.source_number } });

  const payoutSession = await call('POST /{version}/sessions/payout', { body: { payout_account_id: account.id, amount: 25, currency: 'USD' } });
  const payoutRef = randomUUID();
  await call('POST /{version}/executions/payout', {
    body: {
      session_id: String(payoutSession.id),
      payout_account_id: String(account.id),
      reference_id: payoutRef,
      passcode: { token: { phone: sandbox.passcode.phone, code: sandbox.passcode.code }, device },
    },
  });
  await call('GET /{version}/status/payout/{reference_id}', { path: { reference_id: payoutRef } });

  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const transferSession = await call('POST /{version}/sessions/transfer', {
    body: { from_wallet_id: payoutSession.wallet_id, to_counterparty_id: counterparty.id, amount: 12.5, currency: 'USD', expires_at: inAnHour },
  });
  const transferRef = randomUUID();
  await call('POST /{version}/executions/transfer', { body: { session_id: String(transferSession.id), reference_id: transferRef } });
  await call('GET /{version}/status/transfer/{reference_id}', { path: { reference_id: transferRef } });

  const refundSession = await call('POST /{version}/sessions/refund', {
    body: { original_payment_intent_id: 1, amount: 5, reason: 'Damaged item', expires_at: inAnHour },
  });
  const refundRef = randomUUID();
  await call('POST /{version}/executions/refund', { body: { session_id: String(refundSession.id), reference_id: refundRef } });
  await call('GET /{version}/status/refund/{reference_id}', { path: { reference_id: refundRef } });

  await call('GET /{version}/predictions/amount-and-fees', {
    query: { base_amount: 100, base_currency: 'USD', target_currency: 'LRD', payment_method: 'MTN_MOMO_LBR', operation_type: 'PAYOUT', provider: 'MTN_MOMO_LBR', fee_bearer: 'PAYER' },
  });
  await call('GET /{version}/predictions/payment-source/amount-and-fees', {
    query: { target_currency: 'USD', payment_method: 'MTN_MOMO_LBR', provider: 'MTN_MOMO_LBR', source_type: 'ORDER', source_id: order.id },
  });
  await call('GET /{version}/predictions/mmo-provider-info', { query: { phone: '231771234567', operation_type: 'COLLECTION' } });
  await call('GET /{version}/predictions/card-provider-info', { query: { payment_method_id: 'pm_123', operation_type: 'COLLECTION', provider: 'STRIPE' } });
  await call('GET /{version}/fees/gateway', { query: { payment_method: 'MTN_MOMO_LBR', operation_type: 'PAYOUT' } });
  await call('GET /{version}/fees/platform', { query: { operation_type: 'PAYOUT', fee_tier_name: 'STANDARD' } });
  await call('GET /{version}/fees/merchant-tier', { query: { owner_type: 'ORGANIZATION', owner_id: 1 } });
  await call('GET /{version}/fees/tiers');
  await call('GET /{version}/merchants/merchant-info', { query: { merchant_id: 1, merchant_type: 'ORGANIZATION' } });
  return calls;
}
