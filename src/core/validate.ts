/** Local input checks: a bad value fails before any network call, naming its field. */
import { DollrInputError } from './errors.js';

/** Throws DollrInputError(field, "<field> must <rule>"). */
export function fail(field: string, rule: string): never {
  throw new DollrInputError(field, `${field} must ${rule}`);
}

/** Fails with `field` and `rule` unless `ok`. */
export function check(ok: unknown, field: string, rule: string): asserts ok {
  if (!ok) fail(field, rule);
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const isFilled = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
