/** `createDollrClient()`: openapi-fetch bound to the v1 paths, over the retrying transport. */
import createClient, { createQuerySerializer } from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import { createAuth } from './auth.js';
import type { DollrAuth } from './auth.js';
import { DollrInputError } from './errors.js';
import { LiteRequest } from './lite-request.js';
import { createPayout } from './payout.js';
import type { PayoutInput, PayoutOptions } from './payout.js';
import { isReferenceId } from './reference-id.js';
import { DEFAULT_BACKOFF, createRetrySafety } from './retry.js';
import type { BackoffOptions, ResolvedBackoff } from './retry.js';
import { createTransport } from './transport.js';
import type { FetchLike } from './transport.js';
import type { DollrPaths, ExecutionResponse } from './types.js';
import { VERSION } from './version.js';

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

const EXECUTION_PATH = '/executions/';

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function resolveBaseUrl(raw: unknown, allowInsecureHttp: boolean): string {
  if (typeof raw !== 'string') throw new DollrInputError('baseUrl', 'baseUrl must be a string URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DollrInputError('baseUrl', 'baseUrl must be an absolute URL, e.g. https://api.heydollr.app');
  }
  if (url.protocol === 'http:') {
    if (!allowInsecureHttp && !isLoopback(url.hostname)) {
      throw new DollrInputError(
        'baseUrl',
        'baseUrl uses plain http: to a non-loopback host; use https, or set allowInsecureHttp: true',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new DollrInputError('baseUrl', 'baseUrl must use https: (or http: on loopback)');
  }
  if (url.search || url.hash) throw new DollrInputError('baseUrl', 'baseUrl must not have a query or fragment');
  // Normalized once, so per-call classification is a plain string prefix test.
  return url.href.replace(/\/+$/, '');
}

function nonNegativeInteger(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new DollrInputError(field, `${field} must be a non-negative integer`);
  }
  return value;
}

function positiveNumber(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new DollrInputError(field, `${field} must be a positive number of milliseconds`);
  }
  return value;
}

function resolveBackoff(backoff: BackoffOptions | undefined): ResolvedBackoff {
  if (backoff === undefined) return DEFAULT_BACKOFF;
  return {
    initialDelayMs: nonNegativeInteger(backoff.initialDelayMs, 'backoff.initialDelayMs', DEFAULT_BACKOFF.initialDelayMs),
    maxDelayMs: nonNegativeInteger(backoff.maxDelayMs, 'backoff.maxDelayMs', DEFAULT_BACKOFF.maxDelayMs),
    maxRetryAfterMs: nonNegativeInteger(
      backoff.maxRetryAfterMs,
      'backoff.maxRetryAfterMs',
      DEFAULT_BACKOFF.maxRetryAfterMs,
    ),
  };
}

/** Refuses an execution POST without a v4 reference_id, before serialization or any network call. */
function executionGuard(url: unknown, init: unknown): DollrInputError | undefined {
  if (typeof url !== 'string' || !url.includes(EXECUTION_PATH)) return undefined;
  const body = (init as { body?: unknown } | undefined)?.body;
  const referenceId = typeof body === 'object' && body !== null ? (body as { reference_id?: unknown }).reference_id : undefined;
  if (isReferenceId(referenceId)) return undefined;
  return new DollrInputError(
    'reference_id',
    'reference_id must be a version-4 UUID: create it with newReferenceId() and store it before sending',
  );
}

export function createDollrClient(options: DollrClientOptions): DollrClient {
  if (typeof options !== 'object' || options === null) {
    throw new DollrInputError('auth', 'createDollrClient needs an options object with auth');
  }
  const baseUrl = resolveBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, options.allowInsecureHttp === true);
  const maxRetries = nonNegativeInteger(options.maxRetries, 'maxRetries', 2);
  const timeoutMs = positiveNumber(options.timeoutMs, 'timeoutMs', 30_000);
  const backoff = resolveBackoff(options.backoff);
  const fetch = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetch !== 'function') throw new DollrInputError('fetch', 'no fetch available: pass options.fetch');
  const userAgent = options.userAgent ?? `dollr-client/${VERSION}`;
  if (typeof userAgent !== 'string' || userAgent === '') {
    throw new DollrInputError('userAgent', 'userAgent must be a non-empty string');
  }

  const isRetrySafe = createRetrySafety(baseUrl);
  const transportOptions = { fetch, baseUrl, timeoutMs, maxRetries, backoff, isRetrySafe };
  const auth = createAuth(options.auth, {
    baseUrl,
    send: createTransport(transportOptions),
    dangerouslyAllowBrowser: options.dangerouslyAllowBrowser === true,
  });
  const transport = createTransport({ ...transportOptions, auth });

  const base = createClient<DollrPaths>({
    baseUrl,
    fetch: transport as (input: Request) => Promise<Response>,
    Request: LiteRequest as unknown as typeof Request,
    headers: { Accept: 'application/json', 'User-Agent': userAgent },
    // Same as openapi-fetch's default, built once instead of per call.
    querySerializer: createQuerySerializer(),
  });

  const POST = ((url: string, init?: unknown) => {
    const refused = executionGuard(url, init);
    return refused ? Promise.reject(refused) : (base.POST as (u: string, i?: unknown) => Promise<unknown>)(url, init);
  }) as DollrClient['POST'];

  const request = ((method: string, url: string, init?: unknown) => {
    const refused = typeof method === 'string' && method.toUpperCase() === 'POST' ? executionGuard(url, init) : undefined;
    return refused
      ? Promise.reject(refused)
      : (base.request as (m: string, u: string, i?: unknown) => Promise<unknown>)(method, url, init);
  }) as DollrClient['request'];

  const payout = createPayout(
    (body, signal) => base.POST('/v1/executions/payout', signal ? { body, signal } : { body }),
    auth,
  );

  return { ...base, POST, request, payout };
}
