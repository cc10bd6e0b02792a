/**
 * The `fetch` handed to openapi-fetch: adds the bearer token, a per-attempt timeout and
 * safe retries, then calls the user's (or global) fetch with a plain init object.
 */
import type { AuthProvider } from './auth.js';
import { DollrConnectionError, DollrTimeoutError } from './errors.js';
import { LiteRequest } from './lite-request.js';
import { redactText } from './redact.js';
import {
  backoffDelay,
  errorCode,
  isExecutionUrl,
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
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  backoff: ResolvedBackoff;
  isRetrySafe: (method: string, url: string) => boolean;
  auth?: AuthProvider | undefined;
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
  const { fetch, baseUrl, timeoutMs, maxRetries, backoff, isRetrySafe, auth } = options;
  const useTimer = timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS;

  /** One HTTP attempt. Rejects with whatever fetch rejects with; `timedOut` tells timeouts apart. */
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
    const retrySafe = isRetrySafe(method, url);
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
        throw connectionError(request, error, timedOut, attempts, retrySafe);
      }

      const status = response.status;
      if (status === 401 && token !== undefined && !renewedAuth && auth?.renewAfter401(token)) {
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
      if (!response.ok) attemptCounts.set(response, attempts);
      return response;
    }
  };

  function connectionError(
    request: Request | LiteRequest,
    error: unknown,
    timedOut: boolean,
    attempts: number,
    retrySafe: boolean,
  ): DollrConnectionError {
    const url = request.url;
    const path = url.replace(/^[a-z][a-z\d+.-]*:\/\/[^/]+/i, '').replace(/\?.*$/, '');
    const execution = isExecutionUrl(baseUrl, url);
    const referenceId = execution ? referenceIdOf(request) : undefined;
    const code = timedOut ? 'ETIMEDOUT' : errorCode(error);
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    let what: string;
    if (timedOut) what = `timed out after ${timeoutMs} ms${tries}`;
    else {
      const reason = code ?? (error instanceof Error ? error.message : 'network error');
      what = `failed${tries}: ${redactText(reason, auth?.secrets() ?? [])}`;
    }
    let outcome: string;
    if (!timedOut && neverSent(error)) outcome = 'the request was not sent.';
    else if (execution) {
      outcome =
        'the outcome is unknown: the payout may have been processed. Re-send the same body with the same ' +
        'reference_id (or check its status) before creating a new attempt.';
    } else if (retrySafe) outcome = 'no response was received.';
    else outcome = 'the outcome is unknown (the request may have been processed), so it was not retried.';
    const message = `${request.method} ${path} ${what}; ${outcome}`;
    const init = { attempts, referenceId, code, cause: timedOut ? undefined : error };
    return timedOut ? new DollrTimeoutError(message, init) : new DollrConnectionError(message, init);
  }
}

function referenceIdOf(request: Request | LiteRequest): string | undefined {
  if (!LiteRequest.isLite(request) || typeof request.body !== 'string') return undefined;
  try {
    const id = (JSON.parse(request.body) as { reference_id?: unknown }).reference_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
