/**
 * When to try again, and what a failure proves: backoff and Retry-After timing, retryable
 * statuses, and whether a fetch failure shows that no byte left (refused, DNS). Which
 * operations may be repeated at all is the policy table's call (policy.ts), not this file's.
 */
import { clampTimer } from './platform.js';

/** Delays between retries, in milliseconds; every field has a default. */
export interface BackoffOptions {
  /** First retry delay before jitter. Default 500 ms. */
  initialDelayMs?: number;
  /** Upper bound of the exponential delay. Default 8000 ms. */
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` the client will wait. If the server asks for more, the response
   * is returned (or thrown) instead of retrying sooner than asked. Default 60000 ms.
   */
  maxRetryAfterMs?: number;
}

export type ResolvedBackoff = Required<BackoffOptions>;

export const DEFAULT_BACKOFF: ResolvedBackoff = { initialDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Statuses worth another attempt; the request may be repeated only if it is retry-safe. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Failures that prove no byte reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * System error code of a fetch failure: undici puts it on `cause` (or on an AggregateError's
 * parts). Deno's fetch errors carry none; its connect failures say so in words
 * (`client error (Connect): tcp connect error: Connection refused (os error 111)`), read
 * only when no code is found on the chain.
 */
export function errorCode(error: unknown): string | undefined {
  let inWords: string | undefined;
  let current = error as { code?: unknown; errors?: unknown; cause?: unknown; message?: unknown } | null | undefined;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, errors, cause, message } = current;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if (Array.isArray(errors) && errors.length > 0) {
      const codes = errors.map(errorCode);
      if (codes.every((c) => c !== undefined && c === codes[0])) return codes[0];
    }
    const words = String(message);
    if (words.includes('(Connect)')) inWords ??= /Connection refused/i.test(words) ? 'ECONNREFUSED' : /dns error/i.test(words) ? 'ENOTFOUND' : undefined;
    current = cause as typeof current;
  }
  return inWords;
}

/** True only when the failure proves no byte reached the server (refused, DNS failure). */
export function neverSent(error: unknown): boolean {
  return NOT_SENT_CODES.has(errorCode(error) as string);
}

const SECONDS = /^\d+(\.\d+)?$/;

/**
 * Delay the server asked for, in ms: `retry-after-ms`, then `Retry-After` as seconds or an
 * HTTP date. `undefined` when absent or unparsable.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && SECONDS.test(ms)) return Number(ms);
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (SECONDS.test(value)) return Number(value) * 1000;
  // Every HTTP-date form has a time of day; without one, Date.parse would take "-1" or "May 5".
  // All are GMT, but asctime does not say so and Date.parse would read it as local time.
  const date = /\d:\d\d:\d\d/.test(value) ? Date.parse(value.endsWith('GMT') ? value : `${value} GMT`) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with up to 25% jitter, so a burst of clients does not retry in lockstep. */
export function backoffDelay(retry: number, backoff: ResolvedBackoff): number {
  const base = Math.min(backoff.initialDelayMs * 2 ** (retry - 1), backoff.maxDelayMs);
  return base * (1 - Math.random() * 0.25);
}

/** Waits `ms`, rejecting with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, clampTimer(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
