/**
 * The `fetch` handed to openapi-fetch: adds the bearer token, a per-attempt timeout and
 * safe retries, then calls the user's (or global) fetch with a plain init object.
 */
import type { AuthProvider } from './auth.js';
import { DollrConnectionError, DollrInputError, DollrTimeoutError } from './errors.js';
import { LiteRequest } from './lite-request.js';
import type { PayoutRequest } from './types.js';
import { redactJson, redactText } from './redact.js';
import {
  SAFE_METHODS,
  backoffDelay,
  errorCode,
  isRetryableStatus,
  neverSent,
  retryAfterMs,
  sleep,
  type ResolvedBackoff,
} from './retry.js';

/** The subset of `fetch` the client calls. Any WHATWG-compatible fetch fits. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export type Transport = (request: Request | LiteRequest) => Promise<Response>;

export interface TransportOptions {
  fetch: FetchLike;
  /** Normalized by `checkBaseUrl`. */
  baseUrl: string;
  allowInsecureHttp: boolean;
  timeoutMs: number;
  maxRetries: number;
  backoff: ResolvedBackoff;
  auth?: AuthProvider | undefined;
}

export const TOKEN_PATH = '/v1/jwt/client/obtain/token';

const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

const refuseBaseUrl = (problem: string): DollrInputError => new DollrInputError('baseUrl', `baseUrl ${problem}`);

/**
 * Plain `http:` sends tokens and passcodes in clear text: refused unless the host is loopback
 * or `allowInsecureHttp` is set. Applies to the client option and to a per-request `baseUrl`.
 */
function checkHttp(url: URL, allowInsecureHttp: boolean): void {
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopback(url.hostname)) {
    throw refuseBaseUrl('uses plain http: to a non-loopback host; use https, or set allowInsecureHttp: true');
  }
}

/** Validates the client's `baseUrl` and returns it normalized, without trailing slashes. */
export function checkBaseUrl(raw: unknown, allowInsecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw as string);
  } catch {
    throw refuseBaseUrl('must be an absolute URL string, e.g. https://api.heydollr.app');
  }
  checkHttp(url, allowInsecureHttp);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuseBaseUrl('must use https: (or http: on loopback)');
  if (url.search || url.hash) throw refuseBaseUrl('must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

// Non-2xx responses remember how many attempts they took, for DollrApiError.attempts.
const attemptCounts = new WeakMap<Response, number>();

export function attemptsOf(response: Response): number {
  return attemptCounts.get(response) ?? 1;
}

// setTimeout's ceiling; longer (or infinite) timeouts mean "no timer".
const MAX_TIMER_MS = 2_147_483_647;

function abortForTimeout(controller: AbortController): void {
  controller.abort();
}

/** Thrown by an attempt that our timer aborted (as opposed to the caller's signal). */
const TIMED_OUT: unique symbol = Symbol('timed out');

function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

export function createTransport(options: TransportOptions): Transport {
  const { fetch, baseUrl, allowInsecureHttp, timeoutMs, maxRetries, backoff, auth } = options;
  const useTimer = timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS;
  // Classification by string prefix, built once: no URL parsing per call.
  const home = `${baseUrl}/`;
  const executions = `${baseUrl}/v1/executions/`;
  const tokenUrl = baseUrl + TOKEN_PATH;

  /** One HTTP attempt. Rejects with whatever fetch rejects with, or TIMED_OUT. */
  async function attempt(request: Request | LiteRequest, token: string | undefined, cloneNative: boolean) {
    const userSignal = request.signal;
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let forward: (() => void) | undefined;
    if (useTimer) {
      controller = new AbortController();
      timer = setTimeout(abortForTimeout, timeoutMs, controller);
      if (userSignal) {
        const c = controller;
        forward = () => c.abort(userSignal.reason);
        userSignal.addEventListener('abort', forward, { once: true });
      }
    }
    const signal = controller ? controller.signal : userSignal;
    const lite = LiteRequest.isLite(request);
    const headers = lite ? request.headers : undefined;
    try {
      if (lite) {
        if (token !== undefined) headers?.set('authorization', `Bearer ${token}`);
        return await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal });
      }
      // A real Request (from middleware): clone so a retry can re-send the same bytes.
      const native = cloneNative ? (request as Request).clone() : (request as Request);
      if (token !== undefined) native.headers.set('authorization', `Bearer ${token}`);
      return await (signal ? fetch(native, { signal }) : fetch(native));
    } catch (error) {
      if (controller?.signal.aborted && !userSignal?.aborted) throw TIMED_OUT;
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (forward) userSignal?.removeEventListener('abort', forward);
      // Keep the token off the request object that onResponse middleware sees.
      if (token !== undefined) headers?.delete('authorization');
    }
  }

  return async function send(request: Request | LiteRequest): Promise<Response> {
    const { method, url } = request;
    const userSignal = request.signal;
    // A per-request `baseUrl` gets the same http: check as the client option.
    if (url.startsWith('http:') && !url.startsWith(home)) checkHttp(new URL(url), allowInsecureHttp);
    const execution = url.startsWith(executions);
    // Executions are idempotent by reference_id; the token endpoint has no side effect.
    const retrySafe = SAFE_METHODS.has(method) || (method === 'POST' && (execution || url === tokenUrl));
    let attempts = 0;
    let retries = 0;
    let renewedAuth = false;
    for (;;) {
      if (userSignal?.aborted) throw userSignal.reason;
      let token: string | undefined;
      if (auth) {
        const pending = auth.token(userSignal);
        token = typeof pending === 'string' ? pending : await pending;
      }
      attempts++;
      let response: Response;
      try {
        response = await attempt(request, token, retries < maxRetries || (auth !== undefined && !renewedAuth));
      } catch (error) {
        // An abort is the caller's decision: surface its reason untouched, never retry.
        if (userSignal?.aborted) throw userSignal.reason;
        const timedOut = error === TIMED_OUT;
        if (retries < maxRetries && (retrySafe || (!timedOut && neverSent(error)))) {
          retries++;
          await sleep(backoffDelay(retries, backoff), userSignal);
          continue;
        }
        throw connectionError(request, timedOut ? undefined : error, attempts, execution, retrySafe);
      }

      const status = response.status;
      if (status === 401 && token !== undefined && !renewedAuth && auth?.renew(token)) {
        // A 401 means the request was refused, not processed: one re-send with a new token.
        renewedAuth = true;
        discard(response);
        continue;
      }
      if (isRetryableStatus(status) && retries < maxRetries && (retrySafe || status === 429)) {
        const asked = retryAfterMs(response.headers);
        // Never come back sooner than the server asked: past the cap, hand the response back.
        if (asked === undefined || asked <= backoff.maxRetryAfterMs) {
          retries++;
          discard(response);
          await sleep(asked ?? backoffDelay(retries, backoff), userSignal);
          continue;
        }
      }
      if (response.ok) return response;
      if (execution) response = await scrubbed(response, [executionOf(request)?.passcode?.token?.code ?? '', ...(auth?.secrets() ?? [])]);
      attemptCounts.set(response, attempts);
      return response;
    }
  };

  /** The error for a request that got no response; `error` is undefined for a timeout. */
  function connectionError(
    request: Request | LiteRequest,
    error: unknown,
    attempts: number,
    execution: boolean,
    retrySafe: boolean,
  ): DollrConnectionError {
    const timedOut = error === undefined;
    const code = timedOut ? 'ETIMEDOUT' : errorCode(error);
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    const what = timedOut
      ? `timed out after ${timeoutMs} ms${tries}`
      : `failed${tries}: ${redactText(code ?? (error instanceof Error ? error.message : 'network error'), auth?.secrets() ?? [])}`;
    const outcome =
      !timedOut && neverSent(error)
        ? 'the request was not sent.'
        : execution
          ? 'the outcome is unknown: the payout may have been processed. Re-send the same body with the same ' +
            'reference_id (or check its status) before creating a new attempt.'
          : retrySafe
            ? 'no response was received.'
            : 'the outcome is unknown (the request may have been processed), so it was not retried.';
    const message = `${request.method} ${new URL(request.url).pathname} ${what}; ${outcome}`;
    const init = { attempts, referenceId: execution ? referenceIdOf(request) : undefined, code, cause: error };
    return timedOut ? new DollrTimeoutError(message, init) : new DollrConnectionError(message, init);
  }
}

/** The execution body we serialized ourselves (a LiteRequest's string body). */
function executionOf(request: Request | LiteRequest): Partial<PayoutRequest> | undefined {
  try {
    return JSON.parse(request.body as string) as Partial<PayoutRequest>;
  } catch {
    return undefined;
  }
}

function referenceIdOf(request: Request | LiteRequest): string | undefined {
  const id = executionOf(request)?.reference_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * FastAPI echoes submitted values in 422 `detail[].input`, so an execution's error body can
 * hold the passcode code. Raw `client.POST` hands that body to the caller, who may log it:
 * scrub it here, on the error path only, as DollrApiError does.
 */
async function scrubbed(response: Response, secrets: string[]): Promise<Response> {
  const text = await response.text();
  let clean: string;
  try {
    clean = JSON.stringify(redactJson(JSON.parse(text), secrets));
  } catch {
    clean = redactText(text, secrets);
  }
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(clean || null, { status: response.status, statusText: response.statusText, headers });
}
