/**
 * Totals per currency, exact: decimal strings are added as scaled integers, never as floats
 * (0.1 + 0.2 must be 0.3 when someone is asked to confirm it). Pure.
 */
import type { PayoutRow } from './rows.js';

function toScaled(amount: string, scale: number): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt((whole || '0') + fraction.padEnd(scale, '0'));
}

function fromScaled(value: bigint, scale: number): string {
  if (scale === 0) return value.toString();
  const digits = value.toString().padStart(scale + 1, '0');
  const fraction = digits.slice(-scale).replace(/0+$/, '');
  return digits.slice(0, -scale) + (fraction ? `.${fraction}` : '');
}

const scaleOf = (amount: string): number => amount.split('.')[1]?.length ?? 0;

/** One currency's total. */
export interface CurrencyTotal {
  /** The exact sum of the amounts, a decimal string (`'1234.5'`). */
  total: string;
  /** How many rows. */
  rows: number;
}

/** Exact totals per currency, e.g. `{ USD: { total: '1234.5', rows: 10 } }`, currencies sorted: what to confirm before paying. */
export function totalsByCurrency(rows: readonly Pick<PayoutRow, 'amount' | 'currency'>[]): Record<string, CurrencyTotal> {
  const groups = new Map<string, string[]>();
  for (const row of rows) {
    const list = groups.get(row.currency);
    if (list) list.push(row.amount);
    else groups.set(row.currency, [row.amount]);
  }
  const out: Record<string, CurrencyTotal> = {};
  for (const currency of [...groups.keys()].sort()) {
    const amounts = groups.get(currency)!;
    const scale = Math.max(...amounts.map(scaleOf));
    const sum = amounts.reduce((acc, amount) => acc + toScaled(amount, scale), 0n);
    out[currency] = { total: fromScaled(sum, scale), rows: amounts.length };
  }
  return out;
}

/** True when `a` > `b`, both non-negative decimal strings. */
export function exceeds(a: string, b: string): boolean {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return toScaled(a, scale) > toScaled(b, scale);
}
