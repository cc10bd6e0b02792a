/**
 * Read-only reference data (fees, predictions, merchant info): no state, so each answer is a
 * schema sample made plausible, with the values the query names (currencies, amounts, ids,
 * types) put back in, and fees computed from one fixed plan so numbers add up.
 */
import { ok } from './reply.js';
import type { Handler, SandboxConfig } from './reply.js';
import { DEFAULT_CURRENCY, SANDBOX_PHONE } from './samples.js';
import type { Sampler } from './samples.js';
import type { SandboxStore } from './store.js';
import { sourceTotal } from './lifecycle.js';

const PLATFORM_RATE = 0.015;
const GATEWAY_RATE = 0.01;
const money = (n: number): string => n.toFixed(2);
// Indicative rates per USD, so a cross-currency prediction reads plausibly; unknown codes convert 1:1.
const PER_USD: Record<string, number> = { USD: 1, LRD: 190, RWF: 1400, NGN: 1550, EUR: 0.92 };
const convert = (amount: number, from: string, to: string): number =>
  PER_USD[from] && PER_USD[to] ? (amount / PER_USD[from]) * PER_USD[to] : amount;

export function catalogHandlers(store: SandboxStore, config: SandboxConfig, sampler: Sampler): Record<string, Handler> {
  const sampled = (request: Parameters<Handler>[0]) =>
    sampler.sample(request.operation.response, request.now) as Record<string, unknown>;

  function prediction(amount: number, from: string, to: string, feeBearer: string) {
    const platform = amount * PLATFORM_RATE;
    const gateway = amount * GATEWAY_RATE;
    const fees = platform + gateway;
    return {
      payer_amount: money(feeBearer === 'PAYEE' ? amount : amount + fees),
      payer_currency: from,
      payee_amount: money(convert(feeBearer === 'PAYEE' ? amount - fees : amount, from, to)),
      payee_currency: to,
      platform_fee: money(platform),
      platform_currency: from,
      fx_fee: from === to ? null : money(amount * 0.005),
      gateway_fee: money(gateway),
      gateway_currency: from,
    };
  }

  return {
    'GET /{version}/predictions/amount-and-fees': (request) => {
      const q = request.query;
      return ok({
        ...sampled(request),
        ...prediction(Number(q.base_amount), String(q.base_currency), String(q.target_currency), String(q.fee_bearer)),
      });
    },
    'GET /{version}/predictions/payment-source/amount-and-fees': (request) => {
      const q = request.query;
      const source = (q.source_type === 'ORDER' ? store.orders : store.invoices).get(Number(q.source_id));
      const amount = source ? sourceTotal(source) : 10;
      const currency = source?.currency ?? DEFAULT_CURRENCY;
      return ok({ ...sampled(request), ...prediction(amount, currency, String(q.target_currency), source?.fee_bearer ?? 'PAYER') });
    },
    'GET /{version}/predictions/mmo-provider-info': (request) => {
      const phone = String(request.query.phone);
      const orange = /^2315/.test(phone);
      return ok({
        ...sampled(request),
        carrier: orange ? 'Orange Liberia' : 'Lonestar Cell MTN',
        country: 'LR',
        currencies: ['USD', 'LRD'],
        phone,
        payment_method: orange ? 'ORANGE_MONEY_LBR' : 'MTN_MOMO_LBR',
        gateway_provider: orange ? 'ORANGE_MONEY_LBR' : 'MTN_MOMO_LBR',
        operation_type: String(request.query.operation_type),
      });
    },
    // The response schema is an untyped object: answer what a card lookup plausibly returns.
    'GET /{version}/predictions/card-provider-info': (request) =>
      ok({
        payment_method_id: request.query.payment_method_id ?? null,
        operation_type: request.query.operation_type ?? 'COLLECTION',
        provider: request.query.provider ?? 'STRIPE',
        brand: 'visa',
        country: 'US',
        currencies: ['USD'],
      }),
    'GET /{version}/fees/gateway': (request) =>
      ok({
        ...sampled(request),
        operation_type: request.query.operation_type,
        payment_method: request.query.payment_method,
        percentage: String(GATEWAY_RATE * 100),
        fixed_fee: '0.00',
        fixed_fee_currency: DEFAULT_CURRENCY,
        effective_to: null,
      }),
    'GET /{version}/fees/platform': (request) => {
      const sample = sampled(request);
      return ok({
        ...sample,
        operation_type: request.query.operation_type,
        percentage: String(PLATFORM_RATE * 100),
        fx_percentage: '0.5',
        effective_to: null,
        tier: { ...(sample.tier as object), name: String(request.query.fee_tier_name) },
      });
    },
    'GET /{version}/fees/merchant-tier': (request) => {
      const sample = sampled(request);
      return ok({
        ...sample,
        owner_type: request.query.owner_type,
        owner_id: request.query.owner_id,
        tier: { ...(sample.tier as object), name: 'STANDARD', is_default: true },
      });
    },
    'GET /{version}/fees/tiers': ({ now }) =>
      ok(
        ['STANDARD', 'GROWTH', 'ENTERPRISE'].map((name, i) => ({
          id: i + 1,
          name,
          is_default: i === 0,
          created_at: new Date(now).toISOString(),
          updated_at: new Date(now).toISOString(),
        })),
      ),
    'GET /{version}/merchants/merchant-info': (request) =>
      ok({
        ...sampled(request),
        id: request.query.merchant_id,
        type: request.query.merchant_type,
        name: Number(request.query.merchant_id) === config.merchant.id ? config.merchant.name : `Merchant ${String(request.query.merchant_id)}`,
        email: config.merchant.email,
        phone: SANDBOX_PHONE,
      }),
  };
}
