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

/** A non-negative integer option: `fallback` when undefined. */
export function count<F extends number | undefined>(value: unknown, field: string, fallback: F): number | F {
  if (value === undefined) return fallback;
  check(Number.isInteger(value) && (value as number) >= 0, field, 'be a non-negative integer');
  return value as number;
}

/** A positive number of milliseconds: `fallback` when undefined. */
export function checkTimeout<F extends number | undefined>(value: unknown, field: string, fallback: F): number | F {
  if (value === undefined) return fallback;
  check(typeof value === 'number' && value > 0, field, 'be a positive number of milliseconds');
  return value;
}

/**
 * JSON has no NaN or Infinity: `JSON.stringify` would send them as `null`. Refuses a body
 * holding one anywhere, naming its path (`items.0.amount`). Plain objects and arrays only.
 */
export function assertFiniteJson(body: unknown): void {
  const path = nonFinitePath(body, '', 0);
  if (path !== undefined) fail(path || 'body', 'be a finite number (JSON has no NaN or Infinity)');
}

function nonFinitePath(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (typeof value !== 'object' || value === null || depth > 64) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return undefined;
  for (const key in value) {
    const found = nonFinitePath((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
