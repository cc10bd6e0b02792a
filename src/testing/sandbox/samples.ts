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
  [/source_type|source_kind/, () => 'INVOICE'],
  [/message/, () => 'Successful'],
  [/^method$/, () => 'MOBILE_MONEY'],
  [/note|reason/, () => 'Sandbox sample'],
  [/rate/, () => '1.00'],
  [/payment_method/, () => 'MTN_MOMO_LBR'],
  [/provider/, () => 'MTN_MOMO_LBR'],
  [/carrier/, () => 'Lonestar Cell MTN'],
  [/owner_type|merchant_type|owner_party_type/, () => 'ORGANIZATION'],
  [/percentage/, () => '1.50'],
  [/amount|fee/, () => '10.00'],
  [/status/, () => 'ACTIVE'],
  [/relationship/, () => 'CUSTOMER'],
  [/assigned_by/, () => 'dollr-sandbox'],
  [/^name$|fullname|_name$/, () => 'Sandbox Merchant'],
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
    const raw = this.fixPatterns(schema, this.sampleFn(schema, { skipWriteOnly: true, quiet: true }, this.document));
    const plausible = plausify(raw, '', now);
    if (this.validator.check(schema, plausible)) return plausible;
    return raw;
  }

  /** Walks schema and value together; a string its `pattern` refuses gets a known value that fits. */
  private fixPatterns(schema: JsonObject, value: unknown, depth = 0): unknown {
    const s = this.resolve(schema);
    if (depth > 20 || !s) return value;
    if (typeof value === 'string' && typeof s.pattern === 'string' && !this.validator.check(s, value)) {
      return PATTERN_CANDIDATES.find((candidate) => this.validator.check(s, candidate)) ?? value;
    }
    if (Array.isArray(value) && s.items && typeof s.items === 'object') {
      return value.map((item) => this.fixPatterns(s.items as JsonObject, item, depth + 1));
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const properties = (s.properties ?? {}) as Record<string, JsonObject>;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, properties[k] ? this.fixPatterns(properties[k], v, depth + 1) : v]),
      );
    }
    // A union: fix against the first branch that has a pattern for this value's type.
    for (const branch of [...((s.anyOf ?? []) as JsonObject[]), ...((s.oneOf ?? []) as JsonObject[])]) {
      const fixed = this.fixPatterns(branch, value, depth + 1);
      if (fixed !== value) return fixed;
    }
    return value;
  }

  private resolve(schema: JsonObject): JsonObject | undefined {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    if (!ref.startsWith('#/')) return undefined;
    let target: unknown = this.document;
    for (const part of ref.slice(2).split('/')) target = (target as JsonObject | undefined)?.[part];
    return target as JsonObject | undefined;
  }
}

// Values that satisfy the patterns Dollr uses (E.164 digits, ISO codes, ids); tried in order.
const PATTERN_CANDIDATES = [SANDBOX_PHONE, DEFAULT_CURRENCY, 'LR', 'INV-2026-00001', '1', 'a', 'sandbox', '2026-01-01', 'A1'];

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
