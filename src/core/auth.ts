/**
 * Bearer token sources: a static token, a user callback, or OAuth client credentials with
 * a cached, single-flight refresh. The transport asks for a token per attempt.
 */
import { DollrError, apiError } from './errors.js';
import { LiteRequest } from './lite-request.js';
import type { Log } from './log.js';
import { TOKEN_PATH } from './policy.js';
import type { CallRecord, Send } from './send.js';
import type { TokenStore } from './token-store.js';
import type { RequestBody, ResponseData } from './types.js';
import { check, fail } from './validate.js';

/** OAuth 2.0 client credentials; the client exchanges them for a token and refreshes it itself. */
export interface ClientCredentials {
  /** Your Dollr `client_id`. */
  clientId: string;
  /** Your Dollr `client_secret`: server-side only, never logged or put in an error. */
  clientSecret: string;
}

/** A token, a function returning one (called per request and again after a 401), or client credentials. */
export type DollrAuth = string | (() => string | Promise<string>) | ClientCredentials;

export interface AuthProvider {
  /** Token for the next attempt: a plain string when cached, so the hot path need not await. */
  token(signal: AbortSignal | null): string | Promise<string>;
  /** Called after a 401 sent with `failed`; true when one re-send with a new token makes sense. */
  renew(failed: string): boolean;
  /** Secrets to scrub from errors: client secret and recent tokens. */
  secrets(): string[];
  /**
   * A waiter's deadline passed: stop the shared token request it waited on (its other waiters
   * get `reason`), so no orphan retries run and the next call starts a fresh one.
   */
  abandon?(pending: Promise<string>, reason: Error): void;
}

export interface AuthContext {
  baseUrl: string;
  /** Transport without auth, used for the token endpoint. */
  send: Send;
  dangerouslyAllowBrowser: boolean;
  log: Log;
  /** Shares client-credentials tokens with other clients (single flight across them all). */
  tokenStore?: TokenStore | undefined;
}

type TokenRequest = RequestBody<'post', typeof TOKEN_PATH>;
type TokenResponse = ResponseData<'post', typeof TOKEN_PATH>;

const REFRESH_MARGIN_MS = 5 * 60_000;
// Visible ASCII only: anything else would make `Headers.set` throw a message echoing the token.
const TOKEN_CHARS = /^[\x21-\x7e]+$/;
const isToken = (token: unknown): token is string => typeof token === 'string' && TOKEN_CHARS.test(token);
// The rule never quotes the value: a bad token is still a secret.
const TOKEN_RULE = 'a non-empty token of visible ASCII characters';

export function createAuth(auth: unknown, context: AuthContext): AuthProvider {
  if (typeof auth === 'string') {
    check(isToken(auth), 'auth', `be ${TOKEN_RULE}`);
    return { token: () => auth, renew: () => false, secrets: () => [auth] };
  }
  if (typeof auth === 'function') return callbackAuth(auth as () => unknown);
  if (typeof auth !== 'object' || auth === null) fail('auth', 'be a token, a function returning one, or { clientId, clientSecret }');
  const { clientId, clientSecret } = auth as Partial<ClientCredentials>;
  check(typeof clientId === 'string' && clientId !== '' && typeof clientSecret === 'string' && clientSecret !== '', 'auth', 'have non-empty clientId and clientSecret strings');
  const g = globalThis as { window?: unknown; document?: unknown };
  check(
    (g.window === undefined && g.document === undefined) || context.dangerouslyAllowBrowser,
    'auth',
    'not hold client credentials in a browser (set dangerouslyAllowBrowser only if users cannot reach the secret)',
  );
  return clientCredentialsAuth(clientId, clientSecret, context);
}

function callbackAuth(getToken: () => unknown): AuthProvider {
  let last: string | undefined;
  const checked = (token: unknown): string => {
    check(isToken(token), 'auth', `return ${TOKEN_RULE}`);
    return (last = token);
  };
  return {
    token() {
      const result = getToken();
      const isThenable = typeof (result as PromiseLike<unknown> | null)?.then === 'function';
      return isThenable ? Promise.resolve(result).then(checked) : checked(result);
    },
    renew: () => true,
    secrets: () => (last === undefined ? [] : [last]),
  };
}

interface CachedToken {
  value: string;
  expiresAt: number;
  refreshAt: number;
}

function clientCredentialsAuth(clientId: string, clientSecret: string, context: AuthContext): AuthProvider {
  let cached: CachedToken | undefined;
  let inflight: Promise<string> | undefined;
  let stop: AbortController | undefined;
  const flightOf = new WeakMap<Promise<string>, Promise<string>>();
  let recent: string[] = [];
  let refused: string | undefined; // the last token a 401 refused: never taken back from a shared store

  async function obtain(signal: AbortSignal): Promise<CachedToken> {
    const request = new LiteRequest(context.baseUrl + TOKEN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ client_id: clientId, client_secret: clientSecret } satisfies TokenRequest),
    });
    // The token request keeps every rule of the transport (no redirect, one deadline to the
    // last byte); its record says how many attempts it took.
    const record: CallRecord = { attempts: 0, processed: false };
    const response = await context.send.with({ record, signal })(request);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the raw text
    }
    if (!response.ok) {
      throw apiError(response, body, {
        secrets: [clientSecret],
        context: 'Obtaining an access token failed',
        attempts: record.attempts,
        processed: record.processed,
      });
    }
    const { access_token: value, expires_in: minutes } = (body ?? {}) as Partial<Record<keyof TokenResponse, unknown>>;
    if (!isToken(value)) {
      throw new DollrError('The token endpoint returned no usable access_token');
    }
    // expires_in is in minutes. The spec does not mark it required: without a positive one, the
    // token is used until a 401 (Infinity for both times).
    const known = typeof minutes === 'number' && minutes > 0;
    const lifetime = known ? minutes * 60_000 : Infinity;
    if (known) context.log.info(`obtained an access token valid for ${minutes} min`);
    else context.log.warn('no positive expires_in: the token is used until a 401');
    const now = Date.now();
    // Refresh once fewer than 5 minutes remain; short-lived tokens refresh at half-life instead.
    return { value, expiresAt: now + lifetime, refreshAt: now + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2) };
  }

  async function refresh(signal: AbortSignal): Promise<string> {
    const previous = cached;
    try {
      const token = await (context.tokenStore ? context.tokenStore.refresh(() => obtain(signal), refused) : obtain(signal));
      recent = [token.value, ...recent].slice(0, 3);
      cached = token;
      return token.value;
    } catch (error) {
      // A refresh that fails early still leaves a usable token: keep serving it until expiry.
      if (previous !== undefined && Date.now() < previous.expiresAt && cached === previous) return previous.value;
      throw error;
    }
  }

  return {
    token(signal) {
      if (cached !== undefined && Date.now() < cached.refreshAt) return cached.value;
      // One refresh at a time: every waiter shares the same promise.
      if (inflight === undefined) {
        const controller = (stop = new AbortController());
        const flight: Promise<string> = refresh(controller.signal).finally(() => {
          if (inflight === flight) inflight = stop = undefined;
        });
        inflight = flight;
      }
      if (!signal) return inflight;
      const waiter = abortable(inflight, signal);
      flightOf.set(waiter, inflight);
      return waiter;
    },
    abandon(pending, reason) {
      // Only the flight this waiter joined (a later one has waiters of its own).
      if (stop === undefined || (flightOf.get(pending) ?? pending) !== inflight) return;
      stop.abort(reason);
      inflight = stop = undefined;
    },
    renew(failed) {
      // Only drop the cache if nobody has replaced the failing token already.
      if (cached?.value === failed) cached = undefined;
      refused = failed;
      return true;
    },
    secrets: () => [clientSecret, ...recent],
  };
}

/** Lets one waiter give up on a shared promise without cancelling it for the others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
