/** `createDollrClient()`: openapi-fetch bound to the v1 paths, over the retrying transport. */
import createClient, { createQuerySerializer } from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import { createAuth } from './auth.js';
import type { DollrAuth } from './auth.js';
import { DollrInputError } from './errors.js';
import { LiteRequest } from './lite-request.js';
import { check, isFilled, isObject } from './validate.js';
import { DEFAULT_USER_AGENT } from './version.js';
import { assertExecution, createPayout } from '../helpers/payout.js';
import type { PayoutInput, PayoutOptions } from '../helpers/payout.js';
import { DEFAULT_BACKOFF } from './retry.js';
import type { BackoffOptions, ResolvedBackoff } from './retry.js';
import { checkBaseUrl, createTransport } from './transport.js';
import type { FetchLike } from './transport.js';
import type { DollrPaths, ExecutionResponse } from './types.js';

export const DEFAULT_BASE_URL = 'https://api.heydollr.app';

export interface DollrClientOptions {
  /** A bearer token, a function returning one (sync or async), or `{ clientId, clientSecret }`. */
  auth: DollrAuth;
  /** Default `https://api.heydollr.app`. Plain `http:` is refused except on loopback or with `allowInsecureHttp`. */
  baseUrl?: string;
  /** Retries after the first attempt, only where a repeat cannot duplicate an effect. Default 2. */
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
}

/** The openapi-fetch client with the API version bound (`/v1/...`), plus `payout()`. */
export interface DollrClient extends Client<DollrPaths> {
  /**
   * Executes a payout and resolves to its ExecutionResponse, or throws DollrApiError,
   * DollrConnectionError / DollrTimeoutError (outcome unknown: re-send with the same
   * referenceId) or DollrInputError (nothing was sent). Aborts reject with the signal's reason.
   */
  payout(input: PayoutInput, options?: PayoutOptions): Promise<ExecutionResponse>;
}

/** A non-negative integer option: `fallback` when undefined. */
function count(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  check(Number.isInteger(value) && (value as number) >= 0, field, 'be a non-negative integer');
  return value as number;
}

export function createDollrClient(options: DollrClientOptions): DollrClient {
  if (!isObject(options)) throw new DollrInputError('auth', 'createDollrClient needs an options object with auth');
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const baseUrl = checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, allowInsecureHttp);
  const maxRetries = count(options.maxRetries, 'maxRetries', 2);
  const timeoutMs = options.timeoutMs ?? 30_000;
  check(typeof timeoutMs === 'number' && timeoutMs > 0, 'timeoutMs', 'be a positive number of milliseconds');
  const backoff: ResolvedBackoff = { ...DEFAULT_BACKOFF };
  for (const key of Object.keys(backoff) as (keyof ResolvedBackoff)[]) {
    backoff[key] = count(options.backoff?.[key], `backoff.${key}`, backoff[key]);
  }
  const fetch = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  check(typeof fetch === 'function', 'fetch', 'be a function: no global fetch here, pass options.fetch');
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  check(isFilled(userAgent), 'userAgent', 'be a non-empty string');

  const transportOptions = { fetch, baseUrl, allowInsecureHttp, timeoutMs, maxRetries, backoff };
  const auth = createAuth(options.auth, {
    baseUrl,
    send: createTransport(transportOptions),
    dangerouslyAllowBrowser: options.dangerouslyAllowBrowser === true,
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

  /** An execution POST is checked like payout() (reference_id, passcode) before anything is sent. */
  const POST = ((url: string, init?: { body?: unknown }) => {
    if (typeof url === 'string' && url.includes('/executions/')) {
      try {
        assertExecution(init?.body, url.endsWith('/executions/payout'));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return basePOST(url, init);
  }) as DollrClient['POST'];

  const request = ((method: string, url: string, init?: object) =>
    typeof method === 'string' && method.toUpperCase() === 'POST'
      ? POST(url as never, init as never)
      : (base.request as (m: string, u: string, i?: object) => Promise<never>)(method, url, init)) as DollrClient['request'];

  const payout = createPayout((body, signal) => base.POST('/v1/executions/payout', { body, signal }), auth);

  return { ...base, POST, request, payout };
}
