/**
 * The request path: openapi-fetch's `fetch`. A thin loop that performs decide()'s actions:
 * one attempt (attempt.ts) with the token of auth-step.ts, then decide(policy, outcome,
 * state) says return, re-send, look up (reconcile.ts) or fail; nothing here decides. Per-call
 * options and the call's record (attempts, processed) travel explicitly: `send.with(...)` is
 * the per-request `fetch` openapi-fetch accepts, so no middleware can drop them. Nothing here
 * knows an operation by name: the policy table does.
 */
import type { AuthProvider } from '../auth.js';
import { answerError, DollrConnectionError, DollrError, DollrInputError, DollrTimeoutError, isReferenceIdConflict, parseIssues, unknownOutcome, withProcessed } from '../errors.js';
import { isExecutionFor } from '../guards.js';
import { LiteRequest } from '../lite-request.js';
import type { Log } from '../log.js';
import { ownConnection } from '../platform.js';
import { policyFor, secretsIn } from '../policy.js';
import type { OperationPolicy } from '../policy.js';
import { redactJson, redactText } from '../redact.js';
import { backoffDelay, errorCode, retryAfterMs, sleep } from '../retry.js';
import type { ResolvedBackoff } from '../retry.js';
import { attempt, keepParsed } from './attempt.js';
import type { AttemptResult, FetchLike } from './attempt.js';
import { mayRenew, tokenFor } from './auth-step.js';
import { decide, isUncertain, isUnknownStatus } from './decide.js';
import type { DecidePolicy, Outcome, State, Wait } from './decide.js';
import type { CallRecord, PerCall, Send } from '../send.js';
import { classifyLookup, lookupHeaders, lookupUrl, safeParse } from './reconcile.js';

export type { FetchLike } from './attempt.js';
export type { CallRecord, PerCall, Send } from '../send.js';
export { MAX_BODY_BYTES } from './attempt.js';

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
export const LOOKUPS_PER_UNKNOWN_OUTCOME = 3;

const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

const refuseBaseUrl = (problem: string): DollrInputError => new DollrInputError('baseUrl', `baseUrl ${problem}`);

/**
 * What every base URL (the client option or a per-request one) must be: absolute, https (or
 * http on loopback, or with allowInsecureHttp), no credentials (never echoed).
 */
function parseUrl(raw: unknown, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw as string);
  } catch {
    throw refuseBaseUrl('must be an absolute URL, e.g. https://api.heydollr.app');
  }
  if (url.username || url.password) throw refuseBaseUrl('must not hold credentials (user:pass@): use the auth option');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuseBaseUrl('must use https: (or http: on loopback)');
  if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopback(url.hostname)) {
    throw refuseBaseUrl('uses http: to a non-loopback host; use https, or set allowInsecureHttp: true');
  }
  return url;
}

const VERSIONED = 'must not end with the API version: paths already carry /v1';

/** Validates the client's `baseUrl` and returns it normalized, without trailing slashes. */
export function checkBaseUrl(raw: unknown, allowInsecureHttp: boolean): string {
  const url = parseUrl(raw, allowInsecureHttp);
  if (url.search || url.hash) throw refuseBaseUrl('must not have a query or fragment');
  if (/\/v\d+\/*$/i.test(url.pathname)) {
    throw refuseBaseUrl(`${VERSIONED} (use e.g. https://api.heydollr.app)`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The state of one call through the transport. */
interface Call {
  readonly method: string;
  readonly url: string;
  /** Path without query, from the API version on, e.g. `/v1/executions/payout`. */
  readonly path: string;
  /** Everything before `path`: the base URL the request went to. */
  readonly prefix: string;
  readonly origin: string;
  readonly policy: OperationPolicy;
  /** The request's headers: copied per attempt, never written to. */
  readonly headers: Headers;
  readonly body: BodyInit | null;
  readonly signal: AbortSignal | null;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly fetch: FetchLike;
  /** The JSON body text, when the policy needs to read it (reference_id, secret fields). */
  readonly bodyText: string | undefined;
  readonly referenceId: string | undefined;
  readonly record: CallRecord | undefined;
  attempts: number;
  lookups: number;
  renewedAuth: boolean;
  /** An earlier attempt had an unknown outcome (decide()'s `mayHaveLanded`, for token failures). */
  landed: boolean;
}

/** `headers.forEach(copyInto, target)`: a copy without a closure, and without Headers' iterator (absent from lib "DOM" alone). */
function copyInto(this: Record<string, string>, value: string, name: string): void {
  this[name] = value;
}

/** What the last send produced, for the final answer or error. */
type Sent = AttemptResult;


export function createTransport(options: TransportOptions): Send {
  const { baseUrl, allowInsecureHttp, backoff, auth, log } = options;
  const home = `${baseUrl}/`;
  const decidePolicies = {} as Record<OperationPolicy['repeat'], DecidePolicy>;
  for (const repeat of ['safe', 'once', 'execution'] as const) {
    decidePolicies[repeat] = { repeat, maxRetryAfterMs: backoff.maxRetryAfterMs, lookupsPerUnknown: LOOKUPS_PER_UNKNOWN_OUTCOME };
  }

  /**
   * One attempt with the current token; after a 401 (refused, not processed) one more with a
   * fresh token, at most once per call. The token goes on a copy of the headers only.
   */
  async function exchange(call: Call, url: string, method: string, headers: Headers, body: BodyInit | null, counter: 'attempts' | 'lookups', what: string): Promise<AttemptResult> {
    for (;;) {
      let token: string | undefined;
      if (auth && !call.policy.anonymous) {
        const pending = tokenFor(auth, call);
        try {
          token = typeof pending === 'string' ? pending : await pending;
        } catch (error) {
          // No token: this call's `processed` is what it had sent before (a lookup: unknown).
          throw error instanceof DollrError ? withProcessed(error, counter === 'lookups' || call.landed ? 'unknown' : false) : error;
        }
      }
      const n = ++call[counter];
      const started = log.debugOn ? Date.now() : 0;
      // A plain copy (cheaper than Headers, which fetch copies anyway): the token goes on it only.
      const sent: Record<string, string> = {};
      headers.forEach(copyInto, sent);
      if (token !== undefined) sent.authorization = `Bearer ${token}`;
      const init: RequestInit & { client?: object } = { method, headers: sent, body, redirect: 'manual' };
      if (call.policy.repeat === 'execution') {
        const client = ownConnection();
        if (client) init.client = client;
      }
      const result = await attempt(call.fetch, url, init, call.timeoutMs, call.signal);
      if (log.debugOn) log.debug(`${what} ${'response' in result ? `-> ${result.response.status}` : describeSent(result, call)} in ${Date.now() - started} ms (${counter === 'attempts' ? 'attempt' : 'lookup'} ${n})`);
      if ('response' in result && result.response.status === 401 && token !== undefined && mayRenew(auth!, token, call.renewedAuth)) {
        call.renewedAuth = true;
        log.info(`${what} answered 401: renewing the token`);
        continue;
      }
      return result;
    }
  }

  async function wait(call: Call, how: Wait): Promise<void> {
    const ms = 'ms' in how ? how.ms : how.backoff === 0 ? 0 : backoffDelay(how.backoff, backoff);
    await sleep(ms, call.signal);
  }

  function secretsOf(call: Call): string[] {
    return [...(auth?.secrets() ?? []), ...secretsIn(call.policy, safeParse(call.bodyText))];
  }

  /** The outcome of a send, for decide(). An execution's 2xx is checked; a 422 may be a duplicate. */
  async function outcomeOf(call: Call, sent: Sent, state: State): Promise<Outcome> {
    if ('failure' in sent) {
      if (sent.failure.kind === 'aborted') throw sent.failure.cause;
      return { type: 'failed', failure: sent.failure.kind };
    }
    if ('redirect' in sent) return { type: 'redirect' };
    const { status, headers } = sent.response;
    const execution = call.policy.repeat === 'execution';
    if (status < 300) {
      if (!execution) return { type: 'answer', status };
      const parsed = safeParse(sent.text);
      keepParsed(sent.response, parsed);
      return { type: 'answer', status, usable: call.referenceId !== undefined && isExecutionFor(parsed, call.referenceId) };
    }
    const asked = status === 429 || isUnknownStatus(status) ? retryAfterMs(headers) : undefined;
    const duplicate = execution && status === 422 && state.mayHaveLanded && isReferenceIdConflict(parseIssues(safeParse(sent.text)));
    return { type: 'answer', status, retryAfterMs: asked, duplicate };
  }

  /** The loop: perform what decide() says until it says return or fail. */
  async function run(call: Call): Promise<Response> {
    const { policy, signal } = call;
    const dp = decidePolicies[policy.repeat];
    const state: State = { retries: 0, maxRetries: call.maxRetries, lookups: 0, mayHaveLanded: false };
    const what = `${call.method} ${call.path}`;
    let sent = await sendOnce(call, what, state);
    let outcome = await outcomeOf(call, sent, state);
    let found: Response | undefined;
    let lastLookup = '';
    for (;;) {
      const action = decide(dp, outcome, state);
      if (isUncertain(outcome)) state.mayHaveLanded = true;
      switch (action.act) {
        case 'return':
          return finish(call, sent, action.processed ?? false);
        case 'found':
          log.info(`${call.referenceId} landed: ${lastLookup}, not re-sent`);
          return record(call, found!, 'unknown');
        case 'fail': {
          // Budget spent after "never landed": the last answer (a 5xx) is the caller's to see.
          if ('response' in sent && !sent.response.ok && outcome.type === 'lookup') return finish(call, sent, 'unknown');
          throw failure(call, sent, action.processed, outcome.type === 'lookup' ? lastLookup : undefined);
        }
        case 'resend': {
          const why = outcome.type === 'lookup' ? `${call.referenceId} never landed` : describeSent(sent, call);
          if (signal?.aborted) throw signal.reason;
          const ms = 'ms' in action.wait ? action.wait.ms : undefined;
          log.info(`${what} ${why}; retry ${state.retries + 1} of ${state.maxRetries}${ms === undefined ? '' : ` in ${Math.round(ms)} ms`}`);
          await wait(call, action.wait);
          state.retries++;
          state.lookups = 0;
          state.reconciling = undefined;
          sent = await sendOnce(call, what, state);
          outcome = await outcomeOf(call, sent, state);
          break;
        }
        case 'lookup': {
          const id = call.referenceId;
          if (id === undefined) throw failure(call, sent, 'unknown');
          if (state.lookups === 0) {
            state.reconciling = outcome.type === 'answer' && outcome.duplicate ? 'duplicate' : 'unknown';
            const why = state.reconciling === 'duplicate' ? 'a re-send was refused as a duplicate reference_id' : describeSent(sent, call);
            log.info(`${what} ${why}: outcome unknown; looking up ${id}`);
          }
          await wait(call, action.wait);
          state.lookups++;
          const { url, path } = lookupUrl(call.prefix, policy, id);
          const result = await exchange(call, url, 'GET', lookupHeaders(call.headers), null, 'lookups', `GET ${path}`);
          if (signal?.aborted) throw signal.reason;
          const looked = await classifyLookup(result, id);
          found = looked.found;
          lastLookup = looked.what;
          if (looked.outcome.result === 'not-found') log.info(`${id} not found: it never landed`);
          else if (looked.outcome.result !== 'found') log.info(`status lookup for ${id} ${looked.what}`);
          outcome = looked.outcome;
          break;
        }
      }
    }
  }

  async function sendOnce(call: Call, what: string, state: State): Promise<Sent> {
    if (call.signal?.aborted) throw call.signal.reason;
    call.landed = state.mayHaveLanded;
    return exchange(call, call.url, call.method, call.headers, call.body, 'attempts', what);
  }

  function record(call: Call, response: Response, processed: false | 'unknown'): Response {
    if (call.record) {
      call.record.attempts = call.attempts;
      call.record.processed = processed;
    }
    return response;
  }

  /** The answer handed back: 2xx as is; otherwise scrubbed of secrets; a redirect as its own answer. */
  async function finish(call: Call, sent: Sent, processed: false | 'unknown'): Promise<Response> {
    if ('redirect' in sent) {
      const { status, statusText, target } = sent.redirect;
      const detail = `redirected to ${target ?? 'an unknown location'}; redirects are not followed (set baseUrl to the final address)`;
      // An opaque redirect (status 0) or a redirect a custom fetch followed: no 3xx to hand back.
      if (status < 300 || status > 399) throw answerError(sent.redirect, detail, call.attempts, call.referenceId, processed);
      return record(call, Response.json({ detail }, { status, statusText }), processed);
    }
    const response = (sent as { response: Response }).response;
    if (response.ok) return record(call, response, processed);
    return record(call, await scrub(response, secretsOf(call)), processed);
  }

  /** The error for a call that ends without a usable answer. */
  function failure(call: Call, sent: Sent, processed: false | 'unknown', lookup?: string): DollrError {
    const execution = call.policy.repeat === 'execution';
    const referenceId = call.referenceId;
    const tries = call.attempts > 1 ? ` (${call.attempts} attempts)` : '';
    const outcome =
      processed === false
        ? 'the request was not sent.'
        : execution
          ? `${unknownOutcome(referenceId)}${call.lookups > 0 ? '; a late landing is possible: look again later' : ''}.`
          : call.policy.repeat === 'safe'
            ? 'no response was received.'
            : 'the outcome is unknown (the request may have been processed), so it was not retried.';
    const detail = describeSent(sent, call, true) + (lookup ? `; last status lookup ${lookup}` : '');
    const message = redactText(`${call.method} ${call.path} ${detail}${tries}; ${outcome} Server: ${call.origin}.`, auth?.secrets() ?? []);
    if (!('failure' in sent)) {
      // A 2xx whose body is not this execution's: the API answered, but proved nothing.
      return answerError('response' in sent ? sent.response : sent.redirect, message, call.attempts, referenceId, processed, secretsOf(call));
    }
    const { kind, cause, refusal } = sent.failure;
    const timedOut = kind === 'timeout';
    const code = timedOut ? 'ETIMEDOUT' : kind === 'too-large' ? 'EBODYTOOLARGE' : errorCode(cause);
    // fetch's refusal messages quote the URL (credentials included): keep words, not the error.
    const init = { attempts: call.attempts, referenceId: execution ? referenceId : undefined, code, processed, cause: timedOut || refusal !== undefined ? undefined : cause };
    return timedOut ? new DollrTimeoutError(message, init) : new DollrConnectionError(message, init);
  }

  async function send(request: Request | LiteRequest, perCall?: PerCall): Promise<Response> {
    const { method, url } = request;
    let prefix: string;
    let path: string;
    let origin: string;
    // The client's own base URL followed by the version: the common case, no URL parsing.
    if (url.startsWith(home) && url.charCodeAt(home.length) === 118 /* v */) {
      prefix = baseUrl;
      const query = url.indexOf('?', home.length);
      path = url.slice(baseUrl.length, query < 0 ? undefined : query);
      origin = baseOrigin;
    } else {
      // A per-request `baseUrl` gets the same checks as the client option, and keeps the
      // operation's policy behind a path prefix (`https://gw/dollr` + `/v1/...`).
      const parsed = parseUrl(url, allowInsecureHttp);
      const at = parsed.pathname.search(/\/v\d+\//);
      path = at < 0 ? parsed.pathname : parsed.pathname.slice(at);
      if (/^\/v\d+\/v\d+\//.test(path)) throw refuseBaseUrl(VERSIONED);
      prefix = parsed.origin + (at < 0 ? '' : parsed.pathname.slice(0, at));
      origin = parsed.origin;
    }
    const policy = policyFor(method, path);
    const lite = LiteRequest.isLite(request);
    const readsBody = policy.repeat === 'execution' || policy.secrets !== undefined;
    let body: BodyInit | null;
    let bodyText: string | undefined;
    if (lite) {
      body = request.body;
      bodyText = readsBody && typeof body === 'string' ? body : undefined;
    } else {
      // A real Request (from middleware): read its bytes once, so every attempt sends the same.
      const native = request as Request;
      const bytes = native.body === null ? null : new Uint8Array(await native.clone().arrayBuffer());
      body = bytes;
      bodyText = readsBody && bytes ? new TextDecoder().decode(bytes) : undefined;
    }
    const referenceId = policy.repeat === 'execution' ? referenceIdOf(bodyText) : undefined;
    const call: Call = {
      method,
      url,
      path,
      prefix,
      origin,
      policy,
      headers: request.headers,
      body,
      signal: perCall?.signal ?? request.signal,
      timeoutMs: perCall?.timeoutMs ?? options.timeoutMs,
      maxRetries: perCall?.maxRetries ?? options.maxRetries,
      fetch: perCall?.fetch ?? options.fetch,
      bodyText,
      referenceId,
      record: perCall?.record,
      attempts: 0,
      lookups: 0,
      renewedAuth: false,
      landed: false,
    };
    return run(call);
  }

  const baseOrigin = new URL(baseUrl).origin;
  const transport = ((request: Request | LiteRequest) => send(request)) as Send;
  transport.with = (perCall) => (request) => send(request, perCall);
  return transport;
}

/**
 * The last send in words: `timed out after N ms`, `failed: ECONNRESET`, `answered 503`.
 * Logs get the error's name at most; messages (`verbose`) may carry its message, redacted by
 * the caller, except fetch refusals, which quote the URL and are put in our own words.
 */
function describeSent(sent: Sent, call: Call, verbose = false): string {
  if ('response' in sent) {
    const { status } = sent.response;
    return status < 300 ? `answered ${status} without an ExecutionResponse for reference_id ${call.referenceId ?? '?'}` : `answered ${status}`;
  }
  if ('redirect' in sent) return `answered ${sent.redirect.status} (a redirect, not followed)`;
  const { kind, cause, refusal, status } = sent.failure;
  const during = status === undefined ? '' : ` (answered ${status}, then the body ${kind === 'timeout' ? 'did not finish' : 'was cut off'})`;
  if (kind === 'timeout') return `timed out after ${call.timeoutMs} ms${during}`;
  if (kind === 'too-large') return `answered ${status} with a body over 8 MiB (not read)`;
  if (refusal !== undefined) return `failed: ${refusal}`;
  const name = cause instanceof Error ? (verbose ? cause.message : cause.name) : 'network error';
  return `failed: ${errorCode(cause) ?? name}${during}`;
}


function referenceIdOf(bodyText: string | undefined): string | undefined {
  const id = (safeParse(bodyText) as { reference_id?: unknown } | undefined)?.reference_id;
  return typeof id === 'string' ? id : undefined;
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
