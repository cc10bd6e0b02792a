/**
 * The core client: options are checked once, then openapi-fetch is bound to the v1 paths
 * over the transport, with the execution guard in front of POST. Helpers (execute, payout,
 * waitForExecution) are added on top by ../client.ts; nothing here depends on them.
 */
import createClient, { createQuerySerializer } from 'openapi-fetch';
import type { Client, FetchResponse, MaybeOptionalInit } from 'openapi-fetch';
import { createAuth } from './auth.js';
import type { AuthProvider, DollrAuth } from './auth.js';
import { DollrInputError } from './errors.js';
import { assertExecutionBody } from './guards.js';
import { LiteRequest } from './lite-request.js';
import { createLog } from './log.js';
import type { Log, LogLevel, Logger } from './log.js';
import { policyFor } from './policy.js';
import { DEFAULT_BACKOFF } from './retry.js';
import type { BackoffOptions, ResolvedBackoff } from './retry.js';
import type { TokenStore } from './token-store.js';
import { checkBaseUrl, createTransport } from './transport.js';
import type { FetchLike } from './transport.js';
import type { DollrPaths, HttpMethod, PathsFor } from './types.js';
import { check, checkTimeout, count, isFilled, isObject } from './validate.js';
import { DEFAULT_USER_AGENT } from './version.js';

export const DEFAULT_BASE_URL = 'https://api.heydollr.app';

export interface DollrClientOptions {
  /** A bearer token, a function returning one (sync or async), or `{ clientId, clientSecret }`. */
  auth: DollrAuth;
  /** Default `https://api.heydollr.app`. Plain `http:` is refused except on loopback or with `allowInsecureHttp`. */
  baseUrl?: string;
  /** Re-sends after the first attempt, only where a repeat cannot duplicate an effect. Default 2. */
  maxRetries?: number;
  /** Per-attempt timeout in ms (until response headers). Default 30000. */
  timeoutMs?: number;
  /** Retry delays; mostly for tests and unusual rate limits. */
  backoff?: BackoffOptions;
  /** Custom fetch (defaults to `globalThis.fetch`). */
  fetch?: FetchLike;
  /** Default `dollr-client/<version>`. */
  userAgent?: string;
  /** Allow `http:` to a non-loopback host (bearer tokens and passcodes in clear text). */
  allowInsecureHttp?: boolean;
  /** Allow client credentials where `window`/`document` exist. The secret must never reach end users. */
  dangerouslyAllowBrowser?: boolean;
  /** Where log lines go (default `console`). Lines never hold a secret, a header or a body. */
  logger?: Logger;
  /** Default `'warn'`, or the `DOLLR_LOG` environment variable where one exists. */
  logLevel?: LogLevel;
  /** With client credentials: share one token with other clients, e.g. a fleet through Postgres (see dollr-client/batch). */
  tokenStore?: TokenStore;
}

type RequiredKeysOf<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type InitParam<Init> = [RequiredKeysOf<Init>] extends [never]
  ? [(Init & { [key: string]: unknown })?]
  : [Init & { [key: string]: unknown }];

/** `client.request('POST', ...)`: the method as users write it, typed like openapi-fetch's lowercase form. */
export type UppercaseRequestMethod = <
  M extends Uppercase<HttpMethod>,
  P extends PathsFor<M>,
  Init extends MaybeOptionalInit<DollrPaths[P], Lowercase<M> & keyof DollrPaths[P]>,
>(
  method: M,
  url: P,
  ...init: InitParam<Init>
) => Promise<FetchResponse<DollrPaths[P][Lowercase<M> & keyof DollrPaths[P]] & Record<string | number, unknown>, Init, `${string}/${string}`>>;

/** openapi-fetch's client with the API version bound (`/v1/...`); `request` takes `'post'` or `'POST'`. */
export interface CoreClient extends Omit<Client<DollrPaths>, 'request'> {
  request: Client<DollrPaths>['request'] & UppercaseRequestMethod;
}

/** What helpers build on: the client, its auth (for secrets) and its log. */
export interface Core {
  client: CoreClient;
  auth: AuthProvider;
  log: Log;
}

export function createCore(options: DollrClientOptions): Core {
  if (!isObject(options)) throw new DollrInputError('auth', 'createDollrClient needs an options object with auth');
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, allowInsecureHttp);
  const maxRetries = count(options.maxRetries, 'maxRetries', 2);
  const timeoutMs = checkTimeout(options.timeoutMs, 'timeoutMs', 30_000);
  const backoff: ResolvedBackoff = { ...DEFAULT_BACKOFF };
  for (const key of Object.keys(backoff) as (keyof ResolvedBackoff)[]) {
    backoff[key] = count(options.backoff?.[key], `backoff.${key}`, backoff[key]);
  }
  const fetch = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  check(typeof fetch === 'function', 'fetch', 'be a function: no global fetch here, pass options.fetch');
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  check(isFilled(userAgent), 'userAgent', 'be a non-empty string');
  const logger = options.logger;
  if (logger !== undefined) {
    const complete = isObject(logger) && ['debug', 'info', 'warn', 'error'].every((m) => typeof logger[m as keyof Logger] === 'function');
    check(complete, 'logger', 'have debug, info, warn and error functions');
  }
  const log = createLog(logger, options.logLevel);
  check(options.tokenStore === undefined || typeof options.tokenStore.refresh === 'function', 'tokenStore', 'have refresh()');

  const transportOptions = { fetch, baseUrl, allowInsecureHttp, timeoutMs, maxRetries, backoff, log };
  const auth = createAuth(options.auth, {
    baseUrl,
    send: createTransport(transportOptions),
    dangerouslyAllowBrowser: options.dangerouslyAllowBrowser === true,
    log,
    tokenStore: options.tokenStore,
  });

  const base = createClient<DollrPaths>({
    baseUrl,
    fetch: createTransport({ ...transportOptions, auth }) as (input: Request) => Promise<Response>,
    Request: LiteRequest as unknown as typeof Request,
    headers: { Accept: 'application/json', 'User-Agent': userAgent },
    // Same as openapi-fetch's default, built once instead of per call.
    querySerializer: createQuerySerializer(),
  });
  const basePOST = base.POST as (url: string, init?: { body?: unknown }) => Promise<never>;

  /** An execution POST is checked as its policy says (reference_id, passcode) before anything is sent. */
  const POST = ((url: string, init?: { body?: unknown }) => {
    const policy = policyFor('POST', url);
    if (policy.repeat === 'execution') {
      try {
        assertExecutionBody(init?.body, policy);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return basePOST(url, init);
  }) as CoreClient['POST'];

  const request = ((method: string, url: string, init?: object) =>
    typeof method === 'string' && method.toUpperCase() === 'POST'
      ? POST(url as never, init as never)
      : (base.request as (m: string, u: string, i?: object) => Promise<never>)(method, url, init)) as CoreClient['request'];

  return { client: { ...base, POST, request }, auth, log };
}
