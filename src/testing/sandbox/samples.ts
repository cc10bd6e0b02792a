/**
 * Schema-valid, plausible data for responses the sandbox keeps no state for (fees, predictions,
 * merchant info, and any operation a newer spec adds). openapi-sampler fills the shape; field
 * names then pick realistic values ('USD', '231771234567', today's timestamps) in place of
 * `"string"` and `0`. A value is only kept if the schema still accepts it: openapi-sampler
 * renders patterns such as `\d` literally, so patterned fields get their values here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SampleFunction } from './deps.js';
import type { JsonObject } from './spec.js';
import type { SpecValidator } from './validation.js';

export const SANDBOX_PHONE = '231771234567';
export const DEFAULT_CURRENCY = 'USD';

type Rule = [RegExp, (now: number) => unknown];

// First matching field name wins; a value the schema refuses falls back to the raw sample.
const STRING_RULES: Rule[] = [
  [/currency/, () => DEFAULT_CURRENCY],
  [/phone/, () => SANDBOX_PHONE],
  [/email/, () => 'merchant@example.com'],
  [/url|link/, () => 'https://sandbox.invalid/pay/INV-2026-00001'],
  [/country/, () => 'LR'],
  [/(_at|_from|_to|date)$/, (now) => new Date(now).toISOString()],
  [/reference_id/, () => randomUUID()],
  [/token|secret|hosted_path/, () => randomBytes(16).toString('hex')],
  [/operation_type/, () => 'PAYOUT'],
  [/payment_method/, () => 'MTN_MOMO_LBR'],
  [/provider/, () => 'MTN_MOMO_LBR'],
  [/carrier/, () => 'Lonestar Cell MTN'],
  [/owner_type|merchant_type|owner_party_type/, () => 'ORGANIZATION'],
  [/percentage/, () => '1.50'],
  [/amount|fee/, () => '10.00'],
  [/status/, () => 'ACTIVE'],
  [/relationship/, () => 'CUSTOMER'],
  [/assigned_by/, () => 'dollr-sandbox'],
  [/^name$|fullname|account_name/, () => 'Sandbox Merchant'],
  [/number/, () => 'INV-2026-00001'],
  [/^type$/, () => 'ORGANIZATION'],
  [/mode/, () => 'PAYMENT_LINK'],
];

const NUMBER_RULES: Rule[] = [
  [/(^id|_id)$/, () => 1],
  [/expires_in/, () => 60],
  [/amount/, () => 10],
  [/qty/, () => 1],
];

export class Sampler {
  constructor(
    private readonly document: JsonObject,
    private readonly sampleFn: SampleFunction,
    private readonly validator: SpecValidator,
  ) {}

  /** A value valid against `schema`, as plausible as the schema allows. */
  sample(schema: JsonObject, now: number = Date.now()): unknown {
    const raw = this.sampleFn(schema, { skipWriteOnly: true, quiet: true }, this.document);
    const plausible = plausify(raw, '', now);
    if (this.validator.check(schema, plausible)) return plausible;
    return raw;
  }
}

function plausify(value: unknown, key: string, now: number): unknown {
  const name = key.toLowerCase();
  if (Array.isArray(value)) return value.map((inner) => plausify(inner, key, now));
  if (value === null && key === '') return {};
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plausify(v, k, now)]));
  }
  if (typeof value === 'string') return STRING_RULES.find(([re]) => re.test(name))?.[1](now) ?? value;
  if (typeof value === 'number') return NUMBER_RULES.find(([re]) => re.test(name))?.[1](now) ?? value;
  return value;
}
