/**
 * What a handler answers, and the error bodies Dollr documents: FastAPI's `{detail: ...}` for
 * 401, 403, 404 and 422. Business refusals use the same 422 shape as schema refusals, with the
 * field they are about in `loc`, so a client reads both the same way.
 */
import type { Issue } from './validation.js';
import type { Operation } from './spec.js';
import type { SandboxCredentials, SandboxPasscode } from './types.js';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface OpRequest {
  operation: Operation;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  now: number;
}

export type Handler = (request: OpRequest) => Reply;

export interface SandboxConfig {
  settleAfterMs: number;
  tokenTtlMinutes: number;
  sessionTtlMs: number;
  credentials: SandboxCredentials;
  passcode: SandboxPasscode;
  verified: boolean;
  /** The merchant the credentials belong to, and the wallet payouts debit. */
  merchant: { id: number; type: 'ORGANIZATION'; name: string; walletId: number; email: string };
}

export const ok = (body: unknown): Reply => ({ status: 200, body });

export const unprocessable = (issues: Issue[]): Reply => ({ status: 422, body: { detail: issues } });

/** A business-rule refusal on one field, e.g. `['body', 'session_id']`. */
export const refuse = (loc: (string | number)[], msg: string): Reply =>
  unprocessable([{ loc, msg: `Value error, ${msg}`, type: 'value_error' }]);

export const notFound = (detail = 'Not Found'): Reply => ({ status: 404, body: { detail } });

/** 200 with `view(found)`, or 404 `{"detail": "<what> not found"}`. */
export const okOrNotFound = <T>(found: T | undefined, view: (value: T) => unknown, what: string): Reply =>
  found === undefined ? notFound(`${what} not found`) : ok(view(found));

export const forbidden = (detail: string): Reply => ({ status: 403, body: { detail } });

export const unauthorized = (detail: 'Not authenticated' | 'Could not validate credentials'): Reply => ({
  status: 401,
  body: { detail },
  headers: { 'www-authenticate': 'Bearer' },
});

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A positive integer id from a path or body value (`"42"` or 42), else undefined. */
export function toId(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
