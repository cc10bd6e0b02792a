/**
 * Bearer token sources: a static token, a user callback, or OAuth client credentials with
 * a cached, single-flight refresh. The transport asks for a token per attempt.
 */
import { DollrApiError, DollrError, DollrInputError } from './errors.js';
import { LiteRequest } from './lite-request.js';
import { attemptsOf } from './transport.js';
import type { Transport } from './transport.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** A token, a function returning one (called per request and again after a 401), or client credentials. */
export type DollrAuth = string | (() => string | Promise<string>) | ClientCredentials;

export interface AuthProvider {
  /** Token for the next attempt: a plain string when cached, so the hot path need not await. */
  token(signal: AbortSignal | null): string | Promise<string>;
  /** Called after a 401 sent with `failed`; true when one re-send with a new token makes sense. */
  renewAfter401(failed: string): boolean;
  /** Secrets to scrub from errors: client secret and recent tokens. */
  secrets(): string[];
}

const REFRESH_MARGIN_MS = 5 * 60_000;
// Visible ASCII only: anything else would make `Headers.set` throw a message echoing the token.
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

function isValidToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_CHARS.test(token);
}

function invalidAuth(message: string): DollrInputError {
  return new DollrInputError('auth', message);
}

function isBrowserLike(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown };
  return typeof g.window !== 'undefined' || typeof g.document !== 'undefined';
}

export interface AuthContext {
  baseUrl: string;
  /** Transport without auth, used for the token endpoint. */
  send: Transport;
  dangerouslyAllowBrowser: boolean;
}

export function createAuth(auth: unknown, context: AuthContext): AuthProvider {
  if (typeof auth === 'string') {
    if (!isValidToken(auth)) throw invalidAuth('auth token must be a non-empty string of visible ASCII characters');
    return { token: () => auth, renewAfter401: () => false, secrets: () => [auth] };
  }
  if (typeof auth === 'function') return callbackAuth(auth as () => unknown);
  if (typeof auth === 'object' && auth !== null) {
    const { clientId, clientSecret } = auth as Partial<ClientCredentials>;
    if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
      throw invalidAuth('auth must have non-empty clientId and clientSecret strings');
    }
    if (isBrowserLike() && !context.dangerouslyAllowBrowser) {
      throw invalidAuth(
        'client credentials must stay on a server: refusing to run in a browser-like runtime. ' +
          'Pass dangerouslyAllowBrowser: true only if the secret is not exposed to end users.',
      );
    }
    return new ClientCredentialsAuth(clientId, clientSecret, context);
  }
  throw invalidAuth('auth is required: a token string, a function returning a token, or { clientId, clientSecret }');
}

function callbackAuth(getToken: () => unknown): AuthProvider {
  let last: string | undefined;
  const check = (token: unknown): string => {
    if (!isValidToken(token)) throw invalidAuth('auth function must return a non-empty token of visible ASCII characters');
    last = token;
    return token;
  };
  return {
    token() {
      const result = getToken();
      const isThenable = typeof (result as PromiseLike<unknown> | null)?.then === 'function';
      return isThenable ? Promise.resolve(result).then(check) : check(result);
    },
    renewAfter401: () => true,
    secrets: () => (last === undefined ? [] : [last]),
  };
}

interface CachedToken {
  value: string;
  expiresAt: number;
  refreshAt: number;
}

class ClientCredentialsAuth implements AuthProvider {
  #cached: CachedToken | undefined;
  #inflight: Promise<string> | undefined;
  #recent: string[] = [];
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #context: AuthContext;

  constructor(clientId: string, clientSecret: string, context: AuthContext) {
    this.#clientId = clientId;
    this.#clientSecret = clientSecret;
    this.#context = context;
  }

  token(signal: AbortSignal | null): string | Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && Date.now() < cached.refreshAt) return cached.value;
    // One refresh at a time: every waiter shares the same promise.
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = undefined;
    });
    return signal ? abortable(this.#inflight, signal) : this.#inflight;
  }

  renewAfter401(failed: string): boolean {
    // Only drop the cache if nobody has replaced the failing token already.
    if (this.#cached?.value === failed) this.#cached = undefined;
    return true;
  }

  secrets(): string[] {
    return [this.#clientSecret, ...this.#recent];
  }

  async #refresh(): Promise<string> {
    const previous = this.#cached;
    try {
      const token = await this.#obtain();
      this.#recent = [token.value, ...this.#recent].slice(0, 3);
      this.#cached = token;
      return token.value;
    } catch (error) {
      // A refresh that fails early still leaves a usable token: keep serving it until expiry.
      if (previous !== undefined && Date.now() < previous.expiresAt && this.#cached === previous) {
        return previous.value;
      }
      throw error;
    }
  }

  async #obtain(): Promise<CachedToken> {
    const request = new LiteRequest(`${this.#context.baseUrl}/v1/jwt/client/obtain/token`, {
      method: 'POST',
      headers: new Headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify({ client_id: this.#clientId, client_secret: this.#clientSecret }),
    });
    const response = await this.#context.send(request);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the raw text
    }
    if (!response.ok) {
      throw new DollrApiError({
        status: response.status,
        body,
        headers: response.headers,
        attempts: attemptsOf(response),
        secrets: [this.#clientSecret],
        context: 'Obtaining an access token failed',
      });
    }
    const { access_token: value, expires_in: minutes } = (body ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (!isValidToken(value) || typeof minutes !== 'number' || !(minutes > 0)) {
      throw new DollrError('The token endpoint returned no usable access_token/expires_in');
    }
    const now = Date.now();
    const lifetime = minutes * 60_000; // expires_in is in minutes
    // Refresh once fewer than 5 minutes remain; short-lived tokens refresh at half-life instead.
    return { value, expiresAt: now + lifetime, refreshAt: now + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2) };
  }
}

/** Lets one waiter give up on a shared promise without cancelling it for the others. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
