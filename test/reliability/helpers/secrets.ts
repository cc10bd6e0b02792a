// Distinctive secrets, a per-file collector of every error the suites produce, and the
// check that none of those errors carries a secret in any form a user could log.
import { inspect } from 'node:util';
import { expect } from 'vitest';

/** Tokens the suites' own servers issue all start with this, so a leak of any of them is caught. */
export const TOKEN_PREFIX = 'tok-SECRET-';
/** A bearer token for clients that never reach a server that checks it (closed ports, scripted fetches). */
export const STATIC_TOKEN = `${TOKEN_PREFIX}static-5530`;

export const PASSCODE_CODE = 'pc-SECRET-4821';
export const CLIENT_SECRET = 'cs-SECRET-9917';
export const CLIENT_ID = 'client-id-reliability';

/** Every literal secret; tokens issued by the suites' hostile servers all start with TOKEN_PREFIX. */
export const SECRETS = [PASSCODE_CODE, CLIENT_SECRET, STATIC_TOKEN, TOKEN_PREFIX] as const;

export interface ErrorCollector {
  readonly errors: unknown[];
  /** Records the error and returns it, for `expect(collect(await promise.catch(e => e)))`. */
  add<T>(error: T): T;
  /** Awaits a promise that must reject, records and returns the rejection reason. */
  rejection(promise: Promise<unknown>): Promise<unknown>;
}

export function createErrorCollector(): ErrorCollector {
  const errors: unknown[] = [];
  return {
    errors,
    add(error) {
      errors.push(error);
      return error;
    },
    async rejection(promise) {
      try {
        await promise;
      } catch (error) {
        errors.push(error);
        return error;
      }
      throw new Error('expected the promise to reject, but it resolved');
    },
  };
}

/** The message of the error and of every `cause` (and AggregateError member) below it. */
export function causeChainText(error: unknown, depth = 0): string {
  if (depth > 10 || typeof error !== 'object' || error === null) return String(error);
  const e = error as { message?: unknown; cause?: unknown; errors?: unknown };
  const parts = [String(e.message)];
  if (e.cause !== undefined) parts.push(causeChainText(e.cause, depth + 1));
  if (Array.isArray(e.errors)) for (const inner of e.errors) parts.push(causeChainText(inner, depth + 1));
  return parts.join('\n');
}

/** Every rendering a user might log: message, cause chain, JSON, deep inspect. */
export function renderings(error: unknown): Record<string, string> {
  let json: string;
  try {
    json = JSON.stringify(error) ?? '';
  } catch (e) {
    json = `JSON.stringify threw ${String(e)}`;
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    causes: causeChainText(error),
    json,
    inspect: inspect(error, { depth: Infinity, showHidden: false }),
  };
}

/** Asserts no collected error shows any secret; requires at least `minimum` errors collected. */
export function expectNoSecrets(errors: readonly unknown[], minimum: number): void {
  expect(errors.length).toBeGreaterThanOrEqual(minimum);
  const leaks: string[] = [];
  errors.forEach((error, i) => {
    for (const [how, text] of Object.entries(renderings(error))) {
      for (const secret of SECRETS) {
        if (text.includes(secret)) leaks.push(`error #${i} (${(error as Error)?.name}) leaks ${secret} via ${how}`);
      }
    }
  });
  expect(leaks).toEqual([]);
}
