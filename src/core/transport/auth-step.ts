/**
 * The bearer token of each attempt (after a 401 the loop renews it once per call). Waiting
 * for a token is part of the attempt: it ends within the attempt's deadline and the caller's
 * signal, so a stalled token request (shared by every waiter) cannot hold a call past its
 * deadline. The token never goes on a request object anyone else holds: the loop copies
 * headers per attempt.
 */
import type { AuthProvider } from '../auth.js';
import { DollrTimeoutError } from '../errors.js';
import { clampTimer } from '../platform.js';

export interface TokenWait {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | null;
}

/** The token for the next attempt: a string when cached (no await on the hot path). */
export function tokenFor(auth: AuthProvider, wait: TokenWait): string | Promise<string> {
  const pending = auth.token(wait.signal);
  return typeof pending === 'string' ? pending : withinDeadline(auth, pending, wait);
}

/**
 * The token, or a typed timeout at the attempt's deadline; then the shared token request is
 * abandoned (rule 2: the next call starts a fresh one, no orphan retries keep running).
 */
function withinDeadline(auth: AuthProvider, pending: Promise<string>, { timeoutMs }: TokenWait): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DollrTimeoutError(`waiting for an access token timed out after ${timeoutMs} ms; the request was not sent.`, { attempts: 0, code: 'ETIMEDOUT', processed: false });
      auth.abandon?.(pending, error);
      reject(error);
    }, clampTimer(timeoutMs));
  });
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}
