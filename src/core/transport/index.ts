/**
 * The request path: openapi-fetch's `fetch`. A thin loop that performs decide()'s actions:
 * one attempt (attempt.ts) with the token of auth-step.ts, then decide(policy, outcome,
 * state) says return, re-send, look up (reconcile.ts) or fail; nothing here decides. Per-call
 * options and the call's record (attempts, processed) travel explicitly: `send.with(...)` is
 * the per-request `fetch` openapi-fetch accepts, so no middleware can drop them. Nothing here
 * knows an operation by name: the policy table does.
 */
import type { AuthProvider } from '../auth.js';
import { answerError, DollrConnectionError, DollrError, DollrTimeoutError, isReferenceIdConflict, parseIssues, unknownOutcome, withProcessed } from '../errors.js';
import { isExecutionFor } from '../guards.js';
import { LiteRequest } from '../lite-request.js';
import type { Log } from '../log.js';
import { ownConnection } from '../platform.js';
import { policyFor, secretsIn } from '../policy.js';
import type { OperationPolicy } from '../policy.js';
import { redactJson, redactText } from '../redact.js';
import { backoffDelay, errorCode, retryAfterMs, sleep } from '../retry.js';
import type { ResolvedBackoff } from '../retry.js';
import type { CallRecord, PerCall, Send } from '../send.js';
import { attempt, describe, keepParsed } from './attempt.js';
import { parseUrl, refuseBaseUrl, VERSIONED } from './base-url.js';
import type { FailureKind, FetchLike, Sent } from './attempt.js';
import { tokenFor } from './auth-step.js';
import { decide, isUncertain, isUnknownStatus } from './decide.js';
import type { DecidePolicy, Outcome, State, Wait } from './decide.js';
import { classifyLookup, safeParse } from './reconcile.js';

export type { FetchLike } from './attempt.js';
export type { CallRecord, PerCall, Send } from '../send.js';
export { MAX_BODY_BYTES } from './attempt.js';
export { checkBaseUrl } from './base-url.js';

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

/** One call through the transport: it is decide()'s policy and state too (no copies per step). */
interface Call extends DecidePolicy, State {
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
  readonly fetch: FetchLike;
  /** The body as text, when it is text (reference_id, secret fields). */
  readonly bodyText: string | undefined;
  readonly referenceId: string | undefined;
  readonly record: CallRecord | undefined;
  /** Sends made (State's `retries` counts only re-sends). */
  attempts: number;
  /** Status lookups made by the whole call (State's `lookups` counts the current reconciliation's). */
  looked: number;
  renewedAuth: boolean;
}

/** `headers.forEach(copyInto, target)`: a copy without a closure, and without Headers' iterator (absent from lib "DOM" alone). */
function copyInto(this: Record<string, string>, value: string, name: string): void {
  this[name] = value;
}

export function createTransport(options: TransportOptions): Send {
  const { baseUrl, allowInsecureHttp, backoff, auth, log } = options;
  const home = `${baseUrl}/v`;
  const baseOrigin = new URL(baseUrl).origin;
  const secretsOf = (call: Call): string[] => [...(auth?.secrets() ?? []), ...secretsIn(call.policy, safeParse(call.bodyText))];

  /**
   * One send of the call's request, or, with `lookupPath`, one status lookup, with the current
   * token; after a 401 (refused, not processed) once more with a fresh token, at most once per
   * call. The token goes on this attempt's copy of the headers only.
   */
  async function exchange(call: Call, lookupPath?: string): Promise<Sent> {
    const lookup = lookupPath !== undefined;
    const method = lookup ? 'GET' : call.method;
    for (;;) {
      if (call.signal?.aborted) throw call.signal.reason;
      let token: string | undefined;
      if (auth && !call.policy.anonymous) {
        try {
          const pending = tokenFor(auth, call);
          token = typeof pending === 'string' ? pending : await pending;
        } catch (error) {
          // No token: this call's `processed` is what it had sent before (a lookup: unknown).
          throw error instanceof DollrError ? withProcessed(error, lookup || call.mayHaveLanded ? 'unknown' : false) : error;
        }
      }
      const n = lookup ? ++call.looked : ++call.attempts;
      const started = log.debugOn ? Date.now() : 0;
      // A plain copy (cheaper than Headers, which fetch copies anyway).
      const headers: Record<string, string> = {};
      call.headers.forEach(copyInto, headers);
      if (lookup) {
        delete headers['content-type'];
        delete headers['content-length'];
      }
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const init: RequestInit & { client?: object } = { method, headers, body: lookup ? null : call.body, redirect: 'manual' };
      const client = call.repeat === 'execution' ? ownConnection() : undefined;
      if (client) init.client = client;
      const sent = await attempt(call.fetch, lookup ? call.prefix + lookupPath : call.url, init, call.timeoutMs, call.signal);
      if (sent.failure === 'aborted') throw sent.cause;
      if (log.debugOn) log.debug(`${method} ${lookupPath ?? call.path} ${sent.response ? `-> ${sent.status}` : describe(sent, call.timeoutMs)} in ${Date.now() - started} ms (${lookup ? 'lookup' : 'attempt'} ${n})`);
      if (sent.status === 401 && sent.response && token !== undefined && !call.renewedAuth && auth!.renew(token)) {
        call.renewedAuth = true;
        log.info(`${method} ${lookupPath ?? call.path} answered 401: renewing the token`);
        continue;
      }
      return sent;
    }
  }

  /** The outcome of a send, for decide(). An execution's 2xx is checked; a 422 may be a duplicate. */
  function outcomeOf(call: Call, sent: Sent): Outcome {
    const { response } = sent;
    if (!response) return sent.failure ? { type: 'failed', failure: sent.failure as Exclude<FailureKind, 'aborted'> } : { type: 'redirect' };
    const { status } = response;
    const execution = call.repeat === 'execution';
    if (status < 300) {
      if (!execution) return { type: 'answer', status };
      const parsed = safeParse(sent.text);
      keepParsed(response, parsed);
      return { type: 'answer', status, usable: call.referenceId !== undefined && isExecutionFor(parsed, call.referenceId) };
    }
    const asked = status === 429 || isUnknownStatus(status) ? retryAfterMs(response.headers) : undefined;
    const duplicate = execution && status === 422 && call.mayHaveLanded && isReferenceIdConflict(parseIssues(safeParse(sent.text)));
    return { type: 'answer', status, retryAfterMs: asked, duplicate };
  }

  const wait = (call: Call, how: Wait): Promise<void> =>
    sleep('ms' in how ? how.ms : how.backoff && backoffDelay(how.backoff, backoff), call.signal);

  /** The loop: perform what decide() says until it says return or fail. */
  async function run(call: Call): Promise<Response> {
    const id = call.referenceId;
    let sent = await exchange(call);
    let outcome = outcomeOf(call, sent);
    let found: Response | undefined;
    let lastLookup = '';
    for (;;) {
      const action = decide(call, outcome, call);
      if (isUncertain(outcome)) call.mayHaveLanded = true;
      switch (action.act) {
        case 'return':
          return finish(call, sent, action.processed ?? false);
        case 'found':
          log.info(`${id} landed: ${lastLookup}, not re-sent`);
          return done(call, found!, 'unknown');
        case 'fail':
          // Budget spent after "never landed": the last answer (a 5xx) is the caller's to see.
          if (sent.response && !sent.response.ok && outcome.type === 'lookup') return finish(call, sent, 'unknown');
          throw failure(call, sent, action.processed, outcome.type === 'lookup' ? lastLookup : undefined);
        case 'resend': {
          if (log.infoOn) {
            const { wait: w } = action;
            const why = outcome.type === 'lookup' ? `${id} never landed` : describe(sent, call.timeoutMs);
            log.info(`${call.method} ${call.path} ${why}; retry ${call.retries + 1} of ${call.maxRetries}${'ms' in w ? ` in ${Math.round(w.ms)} ms` : ''}`);
          }
          await wait(call, action.wait);
          call.retries++;
          call.lookups = 0;
          call.reconciling = undefined;
          sent = await exchange(call);
          outcome = outcomeOf(call, sent);
          break;
        }
        case 'lookup': {
          if (id === undefined) throw failure(call, sent, 'unknown');
          if (call.lookups === 0) {
            call.reconciling = outcome.type === 'answer' && outcome.duplicate ? 'duplicate' : 'unknown';
            const why = call.reconciling === 'duplicate' ? 'a re-send was refused as a duplicate reference_id' : describe(sent, call.timeoutMs);
            log.info(`${call.method} ${call.path} ${why}: outcome unknown; looking up ${id}`);
          }
          await wait(call, action.wait);
          call.lookups++;
          const looked = classifyLookup(await exchange(call, (call.policy.status as string).replace('{reference_id}', encodeURIComponent(id))), id, call.timeoutMs);
          found = looked.found;
          lastLookup = looked.what;
          const { result } = looked.outcome;
          if (result !== 'found') log.info(result === 'not-found' ? `${id} not found: it never landed` : `status lookup for ${id} ${looked.what}`);
          outcome = looked.outcome;
        }
      }
    }
  }

  function done(call: Call, response: Response, processed: false | 'unknown'): Response {
    if (call.record) {
      call.record.attempts = call.attempts;
      call.record.processed = processed;
    }
    return response;
  }

  /** The answer handed back: 2xx as is; otherwise scrubbed of secrets; a redirect as its own answer. */
  async function finish(call: Call, sent: Sent, processed: false | 'unknown'): Promise<Response> {
    const { response, status = 0, statusText = '' } = sent;
    if (response) return done(call, response.ok ? response : await scrub(response, secretsOf(call)), processed);
    // A redirect: decide() returns nothing else without a response.
    const detail = `a redirect to ${sent.redirect || 'elsewhere'} is not followed: set baseUrl to the final address`;
    // An opaque redirect (status 0) or a redirect a custom fetch followed: no 3xx to hand back.
    if (status < 300 || status > 399) throw answerError({ status, statusText }, detail, call.attempts, call.referenceId, processed);
    return done(call, Response.json({ detail }, { status, statusText }), processed);
  }

  /** The error for a call that ends without a usable answer. */
  function failure(call: Call, sent: Sent, processed: false | 'unknown', lookup?: string): DollrError {
    const { referenceId, attempts, repeat } = call;
    const outcome =
      processed === false
        ? 'the request was not sent.'
        : repeat === 'execution'
          ? `${unknownOutcome(referenceId)}${call.looked > 0 ? '; a late landing is possible: look again later' : ''}.`
          : repeat === 'safe'
            ? 'no response was received.'
            : 'the outcome is unknown (it may have been processed), so it was not retried.';
    const detail = describe(sent, call.timeoutMs, true) + (lookup ? `; last status lookup ${lookup}` : '') + (attempts > 1 ? ` (${attempts} attempts)` : '');
    const message = redactText(`${call.method} ${call.path} ${detail}; ${outcome} Server: ${call.origin}.`, auth?.secrets() ?? []);
    const { failure: kind, cause, refusal } = sent;
    // A 2xx whose body is not this execution's: the API answered, but proved nothing.
    if (!kind) return answerError(sent.response ?? { status: sent.status ?? 0, statusText: '' }, message, attempts, referenceId, processed, secretsOf(call));
    const timedOut = kind === 'timeout';
    const code = timedOut ? 'ETIMEDOUT' : kind === 'too-large' ? 'EBODYTOOLARGE' : errorCode(cause);
    // fetch's refusal messages quote the URL (credentials included): keep words, not the error.
    const init = { attempts, referenceId, code, processed, cause: timedOut || refusal !== undefined ? undefined : cause };
    return timedOut ? new DollrTimeoutError(message, init) : new DollrConnectionError(message, init);
  }

  async function send(request: Request | LiteRequest, perCall?: PerCall): Promise<Response> {
    const { method, url } = request;
    let prefix = baseUrl;
    let origin = baseOrigin;
    let path: string;
    if (url.startsWith(home)) {
      // The client's own base URL followed by the version: the common case, no URL parsing.
      const query = url.indexOf('?', home.length);
      path = url.slice(baseUrl.length, query < 0 ? undefined : query);
    } else {
      // A per-request `baseUrl` gets the same checks as the client option, and keeps the
      // operation's policy behind a path prefix (`https://gw/dollr` + `/v1/...`).
      const { pathname, origin: o } = parseUrl(url, allowInsecureHttp);
      const at = pathname.search(/\/v\d+\//);
      path = at < 0 ? pathname : pathname.slice(at);
      if (/^\/v\d+\/v\d+\//.test(path)) throw refuseBaseUrl(VERSIONED);
      origin = o;
      prefix = o + (at < 0 ? '' : pathname.slice(0, at));
    }
    const policy = policyFor(method, path);
    let body: BodyInit | null = request.body;
    let bodyText = typeof body === 'string' ? body : undefined;
    if (body !== null && !LiteRequest.isLite(request)) {
      // A real Request (from middleware): read its bytes once, so every attempt sends the same.
      const bytes = new Uint8Array(await request.clone().arrayBuffer());
      body = bytes;
      bodyText = new TextDecoder().decode(bytes);
    }
    return run({
      method,
      url,
      path,
      prefix,
      origin,
      policy,
      repeat: policy.repeat,
      maxRetryAfterMs: backoff.maxRetryAfterMs,
      lookupsPerUnknown: LOOKUPS_PER_UNKNOWN_OUTCOME,
      headers: request.headers,
      body,
      signal: perCall?.signal ?? request.signal,
      timeoutMs: perCall?.timeoutMs ?? options.timeoutMs,
      maxRetries: perCall?.maxRetries ?? options.maxRetries,
      fetch: perCall?.fetch ?? options.fetch,
      bodyText,
      referenceId: policy.repeat === 'execution' ? referenceIdOf(bodyText) : undefined,
      record: perCall?.record,
      attempts: 0,
      looked: 0,
      retries: 0,
      lookups: 0,
      renewedAuth: false,
      mayHaveLanded: false,
      reconciling: undefined,
    });
  }

  const transport = ((request: Request | LiteRequest) => send(request)) as Send;
  transport.with = (perCall) => (request) => send(request, perCall);
  return transport;
}

/** The key as JSON.stringify writes it, with a value free of escapes. */
const REFERENCE_ID = /"reference_id":"([^"\\]*)"/;

/**
 * The reference_id of an execution's body text. The common case needs no second parse: the
 * key appears once (so no other object in the body carries one) in JSON.stringify's compact
 * form. Anything else (spaces, escapes, a second occurrence) is parsed.
 */
function referenceIdOf(text: string | undefined): string | undefined {
  const at = text?.indexOf('"reference_id"') ?? -1;
  const match = at >= 0 && text!.indexOf('"reference_id"', at + 1) < 0 ? REFERENCE_ID.exec(text!) : null;
  if (match) return match[1];
  const id = (safeParse(text) as { reference_id?: unknown } | undefined)?.reference_id;
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
