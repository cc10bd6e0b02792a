/**
 * One HTTP attempt, and nothing more: one deadline from sending to the last byte of the
 * body (`timeoutMs`, and the caller's signal, cover body reading too), redirects never
 * followed (a 3xx is handed back as a final answer, its body unread), bodies capped at
 * MAX_BODY_BYTES without buffering the rest, and every failure classified: not sent at all,
 * timed out, or lost on the way. The response handed back holds its body fully read, so no
 * later read can stall.
 */
import { clampTimer, fetchRefusal, isRedirect } from '../platform.js';
import { neverSent } from '../retry.js';

/** The subset of `fetch` the client calls. Any WHATWG-compatible fetch fits. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Bodies above this are refused, typed, and the rest is never read. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export type FailureKind =
  /** Provably never left: refused connection, DNS failure, or fetch refused it (blocked port, bad URL). */
  | 'not-sent'
  /** Our deadline fired, before the headers or during the body. */
  | 'timeout'
  /** Reset, cut mid-body, or anything else on the wire: it may have been processed. */
  | 'lost'
  /** The answer's body is larger than MAX_BODY_BYTES. */
  | 'too-large'
  /** The caller's signal aborted: its reason is the caller's, not ours. */
  | 'aborted';

export interface Failure {
  kind: FailureKind;
  /** What the runtime threw (absent for our own timeout and the size cap). */
  cause?: unknown;
  /** For fetch refusals, the cause in words. */
  refusal?: string | undefined;
  /** The status, when headers arrived before the failure. */
  status?: number;
}

export interface Redirect {
  status: number;
  statusText: string;
  /** Origin of `Location` (never the whole URL: it may carry a query), or undefined. */
  target: string | undefined;
}

/** `text`: the body read under the deadline, for callers that must read it without a clone. */
export type AttemptResult = { response: Response; text: string } | { redirect: Redirect } | { failure: Failure };

function abortForTimeout(controller: AbortController): void {
  controller.abort();
}

/** Forwards the caller's abort to the attempt's controller (no closure per attempt). */
class Forward {
  constructor(
    readonly controller: AbortController,
    readonly signal: AbortSignal,
  ) {}
  handleEvent(): void {
    this.controller.abort(this.signal.reason);
  }
}

function failed(signal: AbortSignal | undefined, userSignal: AbortSignal | null, cause: unknown, status?: number): { failure: Failure } {
  if (userSignal?.aborted) return { failure: { kind: 'aborted', cause: userSignal.reason } };
  if (signal?.aborted) return { failure: { kind: 'timeout', status } };
  if (status === undefined) {
    const refusal = fetchRefusal(cause);
    if (refusal !== undefined || neverSent(cause)) return { failure: { kind: 'not-sent', cause, refusal } };
  }
  return { failure: { kind: 'lost', cause, status } };
}

/**
 * Sends `init` to `url` once. `init` must already carry `redirect: 'manual'` and every header;
 * the signal is added here. One controller and one timer per attempt, none without a deadline
 * or a caller's signal. Only fetch's own failures become `{ failure }`.
 */
export async function attempt(
  fetch: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  userSignal: AbortSignal | null,
): Promise<AttemptResult> {
  const deadline = timeoutMs < Infinity;
  const controller = deadline || userSignal ? new AbortController() : undefined;
  const timer = deadline ? setTimeout(abortForTimeout, clampTimer(timeoutMs), controller) : undefined;
  const forward = userSignal ? new Forward(controller!, userSignal) : undefined;
  if (forward) {
    if (userSignal!.aborted) forward.handleEvent();
    else userSignal!.addEventListener('abort', forward, { once: true });
  }
  const signal = controller?.signal;
  if (signal) init.signal = signal;
  try {
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      return failed(signal, userSignal, error);
    }
    if (isRedirect(response)) {
      response.body?.cancel().catch(ignore);
      return { redirect: redirectOf(response, url) };
    }
    try {
      const text = await readCapped(response, signal);
      if (text === undefined) return { failure: { kind: 'too-large', status: response.status } };
      return { response: hold(response, text), text };
    } catch (error) {
      return failed(signal, userSignal, error, response.status);
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (forward) userSignal!.removeEventListener('abort', forward);
  }
}

const ignore = (): undefined => undefined;
const TEXT = Symbol('text');
const PARSED = Symbol('parsed');
type Held = Response & { [TEXT]: string; [PARSED]?: unknown };
const copy = (r: Held): Response => new Response(r[TEXT] || null, r);

/**
 * A Response whose body was read under the deadline: readers answer from the text held, so
 * reading it again (openapi-fetch, middleware, the caller) neither waits on the network nor
 * builds a second Response. Still the runtime's Response (`instanceof`, headers, status): one
 * prototype swap per answer, no closures.
 */
const HELD: object = Object.create(Response.prototype, {
  bodyUsed: { get: () => false },
  body: { get(this: Held) { return this[TEXT] ? copy(this).body : null; } },
  text: { value(this: Held) { return Promise.resolve(this[TEXT]); } },
  json: {
    value(this: Held) {
      // The first reader gets the value parsed while checking it (executions), if any.
      const parsed = this[PARSED];
      if (parsed !== undefined) {
        this[PARSED] = undefined;
        return Promise.resolve(parsed);
      }
      return Promise.resolve(this[TEXT]).then(JSON.parse);
    },
  },
  arrayBuffer: { value(this: Held) { return copy(this).arrayBuffer(); } },
  blob: { value(this: Held) { return copy(this).blob(); } },
  formData: { value(this: Held) { return copy(this).formData(); } },
  clone: { value(this: Held) { return hold(copy(this), this[TEXT]); } },
});

function hold(response: Response, text: string): Response {
  Object.setPrototypeOf(response, HELD);
  (response as Held)[TEXT] = text;
  return response;
}

/** Hands `value` (parsed from the held text) to the first `json()` reader instead of parsing again. */
export function keepParsed(response: Response, value: unknown): void {
  if (TEXT in response && value !== null && typeof value === 'object') (response as Held)[PARSED] = value;
}

function redirectOf(response: Response, url: string): Redirect {
  let target: string | undefined;
  try {
    const location = response.headers.get('location');
    if (location) target = new URL(location, url).origin;
    else if (response.redirected && response.url) target = new URL(response.url).origin;
  } catch {
    target = undefined;
  }
  return { status: response.status, statusText: response.statusText, target };
}

/**
 * The body as text, read to the end under the attempt's signal; `undefined` when it is larger
 * than MAX_BODY_BYTES (the stream is cancelled, the rest never read). A declared, uncompressed
 * length is read in one go; anything else is counted chunk by chunk.
 */
async function readCapped(response: Response, signal: AbortSignal | undefined): Promise<string | undefined> {
  const length = response.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (declared > MAX_BODY_BYTES) {
    response.body?.cancel().catch(ignore);
    return undefined;
  }
  if (declared >= 0 && !response.headers.has('content-encoding')) return response.text();
  const reader = response.body?.getReader();
  if (!reader) return '';
  // A fetch that ignores the signal for its body still stops here: cancelling ends the read.
  const stop = (): void => void reader.cancel(signal!.reason).catch(ignore);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const decoder = new TextDecoder();
    let text = '';
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      if (done) return text + decoder.decode();
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        reader.cancel().catch(ignore);
        return undefined;
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
