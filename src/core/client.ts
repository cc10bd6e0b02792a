/**
 * The core client: options are checked once, then openapi-fetch is bound to the v1 paths
 * over the transport, with the execution guard in front of POST. Helpers (execute, payout,
 * waitForExecution) are added on top by ../client.ts; nothing here depends on them.
 */
import createClient, { createQuerySerializer } from 'openapi-fetch';
import type { Client, FetchResponse, MaybeOptionalInit } from 'openapi-fetch';
import { createAuth } from './auth.js';
import type { AuthProvider, DollrAuth } from './auth.js';
import { DollrError, DollrInputError } from './errors.js';
import { assertExecutionBody } from './guards.js';
import { LiteRequest } from './lite-request.js';
import { createLog } from './log.js';
import type { Log, LogLevel, Logger } from './log.js';
import { policyFor } from './policy.js';
import { DEFAULT_BACKOFF } from './retry.js';
import type { BackoffOptions, ResolvedBackoff } from './retry.js';
import type { TokenStore } from './token-store.js';
import { checkBaseUrl, createTransport } from './transport.js';
import type { CallRecord, FetchLike, PerCall } from './transport.js';
import type { DollrPaths, HttpMethod, PathsFor } from './types.js';
import { assertFiniteJson, check, checkTimeout, count, isFilled, isObject } from './validate.js';
import { DEFAULT_USER_AGENT } from './version.js';

/** Dollr's production API, the default `baseUrl`. There is no public Dollr sandbox: see dollr-client/testing. */
export const DEFAULT_BASE_URL = 'https://api.heydollr.app';

/** Options of createDollrClient(); only `auth` is required. Every option is checked before any request. */
export interface DollrClientOptions {
  /** A bearer token, a function returning one (sync or async), or `{ clientId, clientSecret }`. Required. */
  auth: DollrAuth;
  /**
   * The API's origin, without the version (paths carry `/v1`). Default `https://api.heydollr.app`.
   * Plain `http:` is refused except on loopback or with `allowInsecureHttp`; credentials
   * (`user:pass@`) and a trailing `/v1` are refused.
   */
  baseUrl?: string;
  /**
   * Re-sends after the first attempt, only where a repeat cannot duplicate an effect (the
   * policy table decides; executions follow Dollr's lookup-first rule). A count. Default 2.
   */
  maxRetries?: number;
  /**
   * Deadline of one attempt, in milliseconds, from sending to the last byte of the response
   * body (waiting for a token included). Default 30000. Values above setTimeout's ceiling
   * (about 24.8 days) are clamped to it.
   */
  timeoutMs?: number;
  /** Retry delays in milliseconds; mostly for tests and unusual rate limits. Defaults: see BackoffOptions. */
  backoff?: BackoffOptions;
  /** Custom fetch. Default `globalThis.fetch`. It is always called with `redirect: 'manual'`. */
  fetch?: FetchLike;
  /** Default headers sent on every request (openapi-fetch's `headers`). `Authorization` is refused: use `auth`. Default none. */
  headers?: Record<string, string> & {
    /** Refused: the bearer token comes from `auth`. */
    Authorization?: never;
    /** Refused: the bearer token comes from `auth`. */
    authorization?: never;
    /** Refused: the bearer token comes from `auth`. */
    AUTHORIZATION?: never;
  };
  /** The User-Agent header. Default `dollr-client/<version>`. */
  userAgent?: string;
  /** Allow `http:` to a non-loopback host (bearer tokens and passcodes in clear text). Default false. */
  allowInsecureHttp?: boolean;
  /** Allow client credentials where `window`/`document` exist. The secret must never reach end users. Default false. */
  dangerouslyAllowBrowser?: boolean;
  /** Where log lines go. Default `console`. Lines never hold a secret, a header or a body. */
  logger?: Logger;
  /** Default `'warn'`, or the `DOLLR_LOG` environment variable where one exists. */
  logLevel?: LogLevel;
  /** With client credentials: share one token with other clients, e.g. a fleet through Postgres (see dollr-client/batch). */
  tokenStore?: TokenStore;
}

/** Per-call options of every raw method (`GET`, `POST`, ..., `request`), beside openapi-fetch's init fields. */
export interface CallOptions {
  /** This call's attempt deadline in milliseconds, to the last byte of the body. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
  /** This call's re-send budget (a count). Default: the client's `maxRetries`. */
  maxRetries?: number;
}

type RequiredKeysOf<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/**
 * openapi-fetch's init fields plus CallOptions, and nothing else: a misspelled option
 * (`timeoutMS`) or a wrong type (`timeoutMs: '5'`) does not compile.
 */
type ExactInit<Init, Allowed> = Init & CallOptions & { [K in Exclude<keyof Init, keyof Allowed | keyof CallOptions>]: never };
type InitParam<Init, Allowed> = [RequiredKeysOf<Init>] extends [never] ? [ExactInit<Init, Allowed>?] : [ExactInit<Init, Allowed>];
type OperationOf<M extends string, P extends keyof DollrPaths> = Lowercase<M> & keyof DollrPaths[P];
type InitOf<M extends string, P extends keyof DollrPaths> = MaybeOptionalInit<DollrPaths[P], OperationOf<M, P>>;
type ResultOf<M extends string, P extends keyof DollrPaths, Init> = Promise<
  FetchResponse<DollrPaths[P][OperationOf<M, P>] & Record<string | number, unknown>, Init, `${string}/${string}`>
>;

/** `client.GET(url, init)` and the other methods: openapi-fetch's, with CallOptions and exact init keys. */
export type RawMethod<M extends HttpMethod> = <P extends PathsFor<M>, Init extends InitOf<M, P>>(
  url: P,
  ...init: InitParam<Init, NonNullable<InitOf<M, P>>>
) => ResultOf<M, P, Init>;

/** `client.request('POST', ...)` or `('post', ...)`: typed like the methods. */
export type RequestMethod = <M extends HttpMethod | Uppercase<HttpMethod>, P extends PathsFor<M>, Init extends InitOf<M, P>>(
  method: M,
  url: P,
  ...init: InitParam<Init, NonNullable<InitOf<M, P>>>
) => ResultOf<M, P, Init>;

/** @deprecated Use RequestMethod, which takes either case. */
export type UppercaseRequestMethod = RequestMethod;

type Methods = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE' | 'request';

/** openapi-fetch's client with the API version bound (`/v1/...`), per-call options typed on every method. */
export interface CoreClient extends Omit<Client<DollrPaths>, Methods> {
  GET: RawMethod<'get'>;
  PUT: RawMethod<'put'>;
  POST: RawMethod<'post'>;
  DELETE: RawMethod<'delete'>;
  OPTIONS: RawMethod<'options'>;
  HEAD: RawMethod<'head'>;
  PATCH: RawMethod<'patch'>;
  TRACE: RawMethod<'trace'>;
  request: RequestMethod;
}

/** What a raw call resolves to (openapi-fetch's `{ data, error, response }`), untyped for helpers. */
export interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** One call through the client, with per-call options and a record travelling explicitly. */
export type CallFn = (method: string, url: string, init: Record<string, unknown> | undefined, perCall?: PerCall) => Promise<RawResult>;

/** What helpers build on: the client, its auth (for secrets), its log, and `call`. */
export interface Core {
  client: CoreClient;
  auth: AuthProvider;
  log: Log;
  call: CallFn;
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const;

/** openapi-fetch parses a 2xx body as JSON after the transport: a body that is not JSON is the API's fault, typed. */
function typedParseError(error: unknown): never {
  if (error instanceof SyntaxError) throw new DollrError('The API answered with a body that is not valid JSON', { cause: error });
  throw error;
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
  const headers = checkHeaders(options.headers);
  const log = createLog(options.logger, options.logLevel);
  check(options.tokenStore === undefined || typeof options.tokenStore.refresh === 'function', 'tokenStore', 'have refresh()');

  const transportOptions = { fetch, baseUrl, allowInsecureHttp, timeoutMs, maxRetries, backoff, log };
  const auth = createAuth(options.auth, {
    baseUrl,
    send: createTransport(transportOptions),
    dangerouslyAllowBrowser: options.dangerouslyAllowBrowser === true,
    log,
    tokenStore: options.tokenStore,
  });
  const send = createTransport({ ...transportOptions, auth });

  const base = createClient<DollrPaths>({
    baseUrl,
    fetch: send as (input: Request) => Promise<Response>,
    Request: LiteRequest as unknown as typeof Request,
    headers: { Accept: 'application/json', 'User-Agent': userAgent, ...headers },
    // Same as openapi-fetch's default, built once instead of per call.
    querySerializer: createQuerySerializer(),
  });
  const untyped = base as unknown as Record<string, (url: string, init?: object) => Promise<RawResult>>;

  /**
   * Every call: local checks first (an execution's body as its policy says, no NaN/Infinity in
   * a JSON body), then openapi-fetch, with per-call options as its per-request `fetch`.
   */
  const call: CallFn = (method, url, init, perCall) => {
    try {
      if (method === 'POST') {
        const policy = policyFor('POST', url);
        if (policy.repeat === 'execution') assertExecutionBody(init?.body, policy);
      }
      if (init?.body !== undefined && init.bodySerializer === undefined) assertFiniteJson(init.body);
    } catch (error) {
      return Promise.reject(error);
    }
    const finalInit = perCall ? { ...init, fetch: send.with(perCall) } : init;
    return untyped[method]!(url, finalInit).catch(typedParseError);
  };

  /** The public form: `timeoutMs`, `maxRetries` (and openapi-fetch's `fetch`) taken out of the init. */
  const raw = (method: string) => (url: string, init?: Record<string, unknown>) => {
    if (init === undefined || (init.timeoutMs === undefined && init.maxRetries === undefined && init.fetch === undefined)) {
      return call(method, url, init);
    }
    const { timeoutMs, maxRetries, fetch: f, ...rest } = init;
    let perCall: PerCall;
    try {
      check(f === undefined || typeof f === 'function', 'fetch', 'be a function');
      perCall = { ...checkCallOptions({ timeoutMs, maxRetries }), fetch: f as FetchLike | undefined };
    } catch (error) {
      return Promise.reject(error);
    }
    return call(method, url, rest, perCall);
  };

  const methods: Record<string, unknown> = {};
  for (const method of METHODS) methods[method] = raw(method);
  const request = (method: string, url: string, init?: Record<string, unknown>) =>
    typeof method === 'string' ? raw(method.toUpperCase())(url, init) : Promise.reject(new DollrInputError('method', 'method must be a string'));

  const client = { ...base, ...methods, request } as unknown as CoreClient;
  return { client, auth, log, call };
}

/**
 * Per-call options of a raw call or a helper, checked like the client's own (a bad one throws
 * DollrInputError naming it); `record` is where the transport reports the call.
 */
export function checkCallOptions(options: { signal?: AbortSignal | undefined; timeoutMs?: unknown; maxRetries?: unknown } | undefined, record?: CallRecord): PerCall {
  return {
    signal: options?.signal,
    timeoutMs: checkTimeout(options?.timeoutMs, 'timeoutMs', undefined),
    maxRetries: count(options?.maxRetries, 'maxRetries', undefined),
    record,
  };
}

/** Default headers: strings only, and never `Authorization` in any case (auth is `auth`'s job). */
function checkHeaders(headers: unknown): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  check(isObject(headers) && !Array.isArray(headers) && !(headers instanceof Headers), 'headers', 'be an object of header names to string values');
  for (const [name, value] of Object.entries(headers)) {
    check(name.toLowerCase() !== 'authorization', 'headers', 'not include Authorization: pass the token or client credentials as the auth option');
    check(typeof value === 'string', 'headers', `have string values (${name} is not a string)`);
  }
  return headers as Record<string, string>;
}
