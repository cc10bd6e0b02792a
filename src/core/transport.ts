/**
 * The request path: openapi-fetch's `fetch`. One loop per request adds the bearer token,
 * applies the per-attempt timeout and decides, from the operation's policy only, whether a
 * failure may be repeated. Executions follow Dollr's recovery rule: an outcome that is
 * unknown (timeout, reset, 5xx) is looked up by reference_id before anything is sent again;
 * found means landed (returned, never re-sent), 404 means never landed (the same bytes may
 * go again). The happy path is one attempt and no lookup. Nothing here knows an operation
 * by name.
 */
import type { AuthProvider } from './auth.js';
import { DollrConnectionError, DollrInputError, DollrTimeoutError, isReferenceIdConflict, parseIssues, recordAttempts } from './errors.js';
import { LiteRequest } from './lite-request.js';
import type { Send } from './lite-request.js';
import type { Log } from './log.js';
import { policyFor, secretsIn } from './policy.js';
import type { OperationPolicy } from './policy.js';
import { redactJson, redactText } from './redact.js';
import { backoffDelay, errorCode, isRetryableStatus, neverSent, retryAfterMs, sleep } from './retry.js';
import type { ResolvedBackoff } from './retry.js';

/** The subset of `fetch` the client calls. Any WHATWG-compatible fetch fits. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  fetch: FetchLike;
  /** Normalized by `checkBaseUrl`. */
  baseUrl: string;
  allowInsecureHttp: boolean;
  timeoutMs: number;
  maxRetries: number;
  backoff: ResolvedBackoff;
  auth?: AuthProvider | undefined;
  log: Log;
}

/** Status lookups made for one unknown outcome before giving up on knowing it. */
const LOOKUPS_PER_UNKNOWN_OUTCOME = 3;

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

// setTimeout's ceiling; longer (or infinite) timeouts mean "no timer".
const MAX_TIMER_MS = 2_147_483_647;

function abortForTimeout(controller: AbortController): void {
  controller.abort();
}

/**
 * Deno's fetch silently re-sends a request when the reused keep-alive connection it went out
 * on closes before the answer: one payout call could reach the API twice. On Deno, executions
 * go through a client that keeps no idle connection, so each has a connection of its own.
 */
let denoClient: object | false | undefined;
function ownConnection(): object | undefined {
  if (denoClient === undefined) {
    denoClient = (globalThis as { Deno?: { createHttpClient?(o: object): object } }).Deno?.createHttpClient?.({ poolMaxIdlePerHost: 0 }) ?? false;
  }
  return denoClient || undefined;
}

/** Thrown by an attempt that our timer aborted (as opposed to the caller's signal). */
const TIMED_OUT: unique symbol = Symbol('timed out');

function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

/** 408 and 5xx: the server may or may not have acted on the request. */
const isUnknownOutcome = (status: number): boolean => status !== 429 && isRetryableStatus(status);

/** The state of one call through the transport. */
interface Call {
  readonly request: Request | LiteRequest;
  readonly method: string;
  /** Path without query, e.g. `/v1/executions/payout`. */
  readonly path: string;
  /** Everything before `path`: the base URL the request went to. */
  readonly prefix: string;
  readonly policy: OperationPolicy;
  readonly signal: AbortSignal | null;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** The JSON body text, when the policy needs to read it (reference_id, secret fields). */
  readonly bodyText: string | undefined;
  attempts: number;
  lookups: number;
  renewedAuth: boolean;
}

type Verdict = { found: Response } | { notFound: true } | { unknown: unknown };

export function createTransport(options: TransportOptions): Send {
  const { fetch, baseUrl, allowInsecureHttp, backoff, auth, log } = options;
  const home = `${baseUrl}/`;

  /**
   * One HTTP attempt: the response, or `{ failed }` with what fetch rejected with (TIMED_OUT
   * when our timer fired). Only fetch's own failures are network failures: anything else that
   * throws here is a bug, and propagates as itself rather than as "outcome unknown".
   */
  async function attempt(
    request: Request | LiteRequest,
    token: string | undefined,
    cloneNative: boolean,
    call: Call,
  ): Promise<Response | { failed: unknown }> {
    const { timeoutMs } = call;
    const userSignal = request.signal;
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let forward: (() => void) | undefined;
    const lite = LiteRequest.isLite(request);
    const headers = lite ? request.headers : undefined;
    try {
      if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
        controller = new AbortController();
        timer = setTimeout(abortForTimeout, timeoutMs, controller);
        if (userSignal) {
          const c = controller;
          forward = () => c.abort(userSignal.reason);
          userSignal.addEventListener('abort', forward, { once: true });
        }
      }
      const signal = controller ? controller.signal : userSignal;
      const client = call.policy.repeat === 'execution' ? ownConnection() : undefined;
      let target: string | Request;
      let init: (RequestInit & { client?: object }) | undefined;
      if (lite) {
        if (token !== undefined) headers?.set('authorization', `Bearer ${token}`);
        target = request.url;
        init = { method: request.method, headers: request.headers, body: request.body, signal };
        if (client) init.client = client;
      } else {
        // A real Request (from middleware): clone so a retry can re-send the same bytes.
        target = cloneNative ? (request as Request).clone() : (request as Request);
        if (token !== undefined) target.headers.set('authorization', `Bearer ${token}`);
        if (signal || client) init = { signal, ...(client && { client }) };
      }
      try {
        return await (init ? fetch(target, init) : fetch(target));
      } catch (error) {
        return { failed: controller?.signal.aborted && !userSignal?.aborted ? TIMED_OUT : error };
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (forward) userSignal?.removeEventListener('abort', forward);
      // Keep the token off the request object that onResponse middleware sees.
      if (token !== undefined) headers?.delete('authorization');
    }
  }

  /**
   * Sends `request` once with the current token; after a 401 (refused, not processed) gets a
   * fresh token and sends once more, at most once per call. Counts into `call[counter]`.
   * A failed attempt comes back as `{ failed }`; a failure to get a token is thrown.
   */
  async function exchange(
    call: Call,
    request: Request | LiteRequest,
    path: string,
    counter: 'attempts' | 'lookups',
    keepCopy: boolean,
  ): Promise<Response | { failed: unknown }> {
    const what = `${request.method} ${path}`;
    for (;;) {
      let token: string | undefined;
      if (auth && !call.policy.anonymous) {
        const pending = auth.token(call.signal);
        token = typeof pending === 'string' ? pending : await pending;
      }
      const n = ++call[counter];
      const started = log.debugOn ? Date.now() : 0;
      const mayRenew = token !== undefined && !call.renewedAuth;
      const response = await attempt(request, token, keepCopy || mayRenew, call);
      if (log.debugOn) {
        const result = 'failed' in response ? describe(response.failed, call) : `-> ${response.status}`;
        log.debug(`${what} ${result} in ${Date.now() - started} ms (${counter === 'attempts' ? 'attempt' : 'lookup'} ${n})`);
      }
      if ('failed' in response) return response;
      if (response.status === 401 && mayRenew && auth?.renew(token as string)) {
        call.renewedAuth = true;
        discard(response);
        log.info(`${what} answered 401: renewing the token`);
        continue;
      }
      return response;
    }
  }

  /** Waits before retry `retries` (1-based): the server's Retry-After when given, else backoff. */
  async function pause(call: Call, retries: number, why: string, asked?: number): Promise<void> {
    const delay = asked ?? backoffDelay(retries, backoff);
    log.info(`${call.method} ${call.path} ${why}; retry ${retries} of ${call.maxRetries} in ${Math.round(delay)} ms`);
    await sleep(delay, call.signal);
  }

  /** The response handed back: 2xx as is; otherwise scrubbed of secrets, with its attempt count. */
  async function finish(call: Call, response: Response): Promise<Response> {
    if (response.ok) return response;
    const scrubbed = await scrub(response, secretsOf(call));
    recordAttempts(scrubbed, call.attempts);
    return scrubbed;
  }

  function secretsOf(call: Call): string[] {
    return [...(auth?.secrets() ?? []), ...secretsIn(call.policy, safeParse(call.bodyText))];
  }

  /**
   * The loop: repeat only what the policy allows. Executions add Dollr's recovery rule: an
   * unknown outcome is looked up, and only "never landed" allows the same bytes to go again.
   * Every re-send, whatever its reason, comes out of one `maxRetries` budget.
   */
  async function run(call: Call): Promise<Response> {
    const { policy, signal, maxRetries } = call;
    const execution = policy.repeat === 'execution';
    const safe = policy.repeat === 'safe';
    // Parsed only off the happy path: a 2xx never needs the reference id.
    let referenceId: string | undefined | null = null;
    const idOf = (): string | undefined => (referenceId === null ? (referenceId = referenceIdOf(call.bodyText)) : referenceId);
    let retries = 0;
    let mayHaveLanded = false;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const result = await exchange(call, call.request, call.path, 'attempts', execution || retries < maxRetries);
      let answer: Response | undefined;
      let failure: unknown;
      if ('failed' in result) {
        failure = result.failed;
        // An abort is the caller's decision: surface its reason untouched, never retry.
        if (signal?.aborted) throw signal.reason;
        // Refused or DNS: not a byte reached the server, so any request may go again.
        const notSent = failure !== TIMED_OUT && neverSent(failure);
        if (notSent || safe) {
          if (retries < maxRetries) {
            await pause(call, ++retries, describe(failure, call));
            continue;
          }
          throw connectionError(call, failure, notSent ? false : 'unknown');
        }
        if (!execution) throw connectionError(call, failure, 'unknown');
      } else {
        answer = result;
        const status = answer.status;
        if (answer.ok) return answer;
        // 429 was refused, not processed; other retryable statuses only where a repeat is harmless.
        if (status === 429 || (safe && isRetryableStatus(status))) {
          const asked = retryAfterMs(answer.headers);
          // Never come back sooner than the server asked: past the cap, hand the response back.
          if (retries < maxRetries && (asked === undefined || asked <= backoff.maxRetryAfterMs)) {
            discard(answer);
            await pause(call, ++retries, `answered ${status}`, asked);
            continue;
          }
        }
        answer = await finish(call, answer);
        if (!execution || status === 429 || !isUnknownOutcome(status)) {
          // A re-send refused as a duplicate: an earlier attempt of ours landed after all.
          const id = mayHaveLanded && status === 422 ? idOf() : undefined;
          if (id !== undefined && (await isDuplicate(answer))) {
            const verdict = await reconcile(call, id, 'a re-send was refused as a duplicate reference_id');
            if ('found' in verdict) return verdict.found;
          }
          return answer;
        }
      }
      // An execution whose outcome is unknown: ask the status endpoint before anything else.
      mayHaveLanded = true;
      const why = answer ? `answered ${answer.status}` : describe(failure, call);
      const said = answer ? why : undefined;
      const id = idOf();
      if (id === undefined) throw connectionError(call, failure, 'unknown', said);
      const verdict = await reconcile(call, id, why);
      if ('found' in verdict) return verdict.found;
      if ('unknown' in verdict) throw connectionError(call, failure ?? verdict.unknown, 'unknown', said);
      if (retries < maxRetries) {
        retries++;
        log.info(`${call.method} ${call.path}: ${id} never landed; retry ${retries} of ${maxRetries}`);
        continue;
      }
      // Budget spent, and the lookup proved it never landed.
      if (answer) return answer;
      throw connectionError(call, failure, false);
    }
  }

  /** Looks the execution up (bounded); each lookup after a backoff, or after Retry-After on 429. */
  async function reconcile(call: Call, referenceId: string, why: string): Promise<Verdict> {
    const path = (call.policy.status as string).replace('{reference_id}', encodeURIComponent(referenceId));
    const url = call.prefix + path;
    const headers = new Headers(call.request.headers);
    headers.delete('content-type');
    headers.delete('content-length');
    log.info(`${call.method} ${call.path} ${why}: outcome unknown; looking up ${referenceId}`);
    let lastError: unknown;
    let asked: number | undefined;
    for (let i = 1; i <= LOOKUPS_PER_UNKNOWN_OUTCOME; i++) {
      await sleep(asked ?? backoffDelay(i, backoff), call.signal);
      asked = undefined;
      const lookup = new LiteRequest(url, { method: 'GET', headers: new Headers(headers), signal: call.signal });
      const response = await exchange(call, lookup, path, 'lookups', false);
      if (call.signal?.aborted) throw call.signal.reason;
      if (!('failed' in response)) {
        if (response.ok) {
          const text = await response.text();
          const status = (safeParse(text) as { status?: unknown } | undefined)?.status;
          log.info(`${referenceId} landed: ${typeof status === 'string' ? status : 'found'}, not re-sent`);
          return { found: new Response(text, response) };
        }
        discard(response);
        if (response.status === 404) {
          log.info(`${referenceId} not found: it never landed`);
          return { notFound: true };
        }
        if (response.status === 429) asked = retryAfterMs(response.headers);
      }
      const what = 'failed' in response ? describe(response.failed, call) : `answered ${response.status}`;
      lastError = 'failed' in response ? response.failed : new Error(what);
      log.info(`status lookup for ${referenceId} ${what}; looking again`);
    }
    return { unknown: lastError };
  }

  /**
   * The error for a request that got no usable answer. `why` names the last answer when it
   * was an HTTP status; otherwise the failure itself is described.
   */
  function connectionError(call: Call, error: unknown, processed: false | 'unknown', why?: string): DollrConnectionError {
    const timedOut = error === TIMED_OUT;
    const code = timedOut ? 'ETIMEDOUT' : errorCode(error);
    const tries = call.attempts > 1 ? ` (${call.attempts} attempts)` : '';
    const execution = call.policy.repeat === 'execution';
    const referenceId = execution ? referenceIdOf(call.bodyText) : undefined;
    const outcome =
      processed === false
        ? execution && call.lookups > 0
          ? 'not processed: its status lookup found nothing, so sending it again with the same reference_id is safe.'
          : 'the request was not sent.'
        : execution
          ? 'the outcome is unknown: the execution may have been processed. Look its status up ' +
            `(getExecution with reference_id ${referenceId ?? '?'}) before any new attempt.`
          : call.policy.repeat === 'safe'
            ? 'no response was received.'
            : 'the outcome is unknown (the request may have been processed), so it was not retried.';
    const detail = why ?? describe(error, call, true);
    const message = redactText(`${call.method} ${call.path} ${detail}${tries}; ${outcome}`, auth?.secrets() ?? []);
    const init = { attempts: call.attempts, referenceId, code, processed, cause: timedOut ? undefined : error };
    return timedOut ? new DollrTimeoutError(message, init) : new DollrConnectionError(message, init);
  }

  return async function send(request: Request | LiteRequest): Promise<Response> {
    const { method, url } = request;
    let prefix: string;
    let path: string;
    if (url.startsWith(home)) {
      prefix = baseUrl;
      const query = url.indexOf('?', home.length);
      path = url.slice(baseUrl.length, query < 0 ? undefined : query);
    } else {
      // A per-request `baseUrl` gets the same http: check as the client option.
      const parsed = new URL(url);
      if (parsed.protocol === 'http:') checkHttp(parsed, allowInsecureHttp);
      prefix = parsed.origin;
      path = parsed.pathname;
    }
    const policy = policyFor(method, path);
    const lite = LiteRequest.isLite(request);
    const overrides = lite ? request.options : undefined;
    const readsBody = policy.repeat === 'execution' || policy.secrets !== undefined;
    const call: Call = {
      request,
      method,
      path,
      prefix,
      policy,
      signal: request.signal,
      timeoutMs: overrides?.timeoutMs ?? options.timeoutMs,
      maxRetries: overrides?.maxRetries ?? options.maxRetries,
      bodyText: !readsBody
        ? undefined
        : lite
          ? typeof request.body === 'string' ? request.body : undefined
          : await (request as Request).clone().text(),
      attempts: 0,
      lookups: 0,
      renewedAuth: false,
    };
    return run(call);
  };
}

/**
 * A failure in words: `timed out after N ms` or `failed: ECONNRESET`. Logs get the error's
 * name at most; messages (`verbose`, redacted by the caller) may carry its message.
 */
function describe(error: unknown, call: Call, verbose = false): string {
  if (error === TIMED_OUT) return `timed out after ${call.timeoutMs} ms`;
  const name = error instanceof Error ? (verbose ? error.message : error.name) : 'network error';
  return `failed: ${errorCode(error) ?? name}`;
}

function safeParse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function referenceIdOf(bodyText: string | undefined): string | undefined {
  const id = (safeParse(bodyText) as { reference_id?: unknown } | undefined)?.reference_id;
  return typeof id === 'string' ? id : undefined;
}

async function isDuplicate(response: Response): Promise<boolean> {
  return isReferenceIdConflict(parseIssues(safeParse(await response.clone().text())));
}

/**
 * FastAPI echoes submitted values in 422 `detail[].input`, so an error body can hold the
 * passcode code. Raw `client.POST` hands that body to the caller, who may log it: scrub it
 * here, on the error path only, as DollrApiError does.
 */
async function scrub(response: Response, secrets: string[]): Promise<Response> {
  const text = await response.text();
  const parsed = safeParse(text);
  const clean = parsed === undefined ? redactText(text, secrets) : JSON.stringify(redactJson(parsed, secrets));
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(clean || null, { status: response.status, statusText: response.statusText, headers });
}
