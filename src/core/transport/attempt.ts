/**
 * One HTTP attempt, and nothing more: one deadline from sending to the last byte of the
 * body (`timeoutMs`, and the caller's signal, cover body reading too), redirects never
 * followed (a 3xx is handed back as a final answer, its body unread), bodies capped at
 * MAX_BODY_BYTES without buffering the rest, and every failure classified: not sent at all,
 * timed out, or lost on the way. The response handed back holds its body fully read, so no
 * later read can stall.
 */
import { clampTimer, fetchRefusal, isRedirect } from '../platform.js';
import { errorCode, neverSent } from '../retry.js';

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
  /** The caller's signal aborted: its reason (`cause`) is the caller's, not ours. */
  | 'aborted';

/**
 * What one attempt produced: an answer (`response`, its body read and held as `text`), a
 * redirect (`redirect`: the origin of its Location, '' when unknown; never followed) or a
 * `failure`. `status` is set whenever headers arrived.
 */
export interface Sent {
  response?: Response;
  text?: string;
  status?: number;
  statusText?: string;
  redirect?: string;
  failure?: FailureKind;
  /** What the runtime threw (absent for our own timeout and the size cap). */
  cause?: unknown;
  /** For fetch refusals, the cause in words. */
  refusal?: string | undefined;
}

/**
 * A send in words, for log lines and messages: `answered 503`, `timed out after 500 ms`,
 * `failed: ECONNRESET`. `verbose` (messages, redacted by the caller) may carry the runtime
 * error's message; fetch refusals, which quote the URL, are always put in our own words.
 */
export function describe(sent: Sent, timeoutMs: number, verbose?: boolean): string {
  const { status, failure: kind, cause, refusal } = sent;
  if (sent.response) return status! < 300 ? `answered ${status} with no ExecutionResponse for this reference_id` : `answered ${status}`;
  if (!kind) return `answered ${status} (a redirect, not followed)`;
  const during = status === undefined ? '' : ` (answered ${status}, then the body ${kind === 'timeout' ? 'did not finish' : 'was cut off'})`;
  if (kind === 'timeout') return `timed out after ${timeoutMs} ms${during}`;
  if (kind === 'too-large') return `answered ${status} with a body over 8 MiB (not read)`;
  return `failed: ${refusal ?? errorCode(cause) ?? (cause instanceof Error ? (verbose ? cause.message : cause.name) : 'network error')}${refusal ? '' : during}`;
}

function abortForTimeout(controller: AbortController): void {
  controller.abort();
}

const ignore = (): undefined => undefined;

/**
 * Sends `init` to `url` once. `init` must already carry `redirect: 'manual'` and every header;
 * the signal is added here. One controller and one timer per attempt, none without a deadline
 * or a caller's signal. Only fetch's own failures become a `failure`.
 */
export async function attempt(fetch: FetchLike, url: string, init: RequestInit, timeoutMs: number, userSignal: AbortSignal | null): Promise<Sent> {
  const deadline = timeoutMs < Infinity;
  const controller = deadline || userSignal ? new AbortController() : undefined;
  const signal = controller?.signal;
  const timer = deadline ? setTimeout(abortForTimeout, clampTimer(timeoutMs), controller) : undefined;
  const forward = userSignal ? () => controller!.abort(userSignal.reason) : undefined;
  if (forward) {
    if (userSignal!.aborted) forward();
    else userSignal!.addEventListener('abort', forward, { once: true });
  }
  if (signal) init.signal = signal;
  let status: number | undefined;
  try {
    const response = await fetch(url, init);
    status = response.status;
    if (isRedirect(response)) {
      response.body?.cancel().catch(ignore);
      return { status, statusText: response.statusText, redirect: redirectTarget(response, url) };
    }
    const text = await readCapped(response, signal);
    return text === undefined ? { failure: 'too-large', status } : { response: hold(response, text), text, status };
  } catch (cause) {
    if (userSignal?.aborted) return { failure: 'aborted', cause: userSignal.reason };
    if (signal?.aborted) return { failure: 'timeout', status };
    const refusal = status === undefined ? fetchRefusal(cause) : undefined;
    const notSent = refusal !== undefined || (status === undefined && neverSent(cause));
    return { failure: notSent ? 'not-sent' : 'lost', cause, refusal, status };
  } finally {
    clearTimeout(timer);
    if (forward) userSignal!.removeEventListener('abort', forward);
  }
}

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
const HELD = Object.create(Response.prototype, {
  bodyUsed: { get: () => false },
  body: { get(this: Held) { return this[TEXT] ? copy(this).body : null; } },
  text: { value(this: Held) { return Promise.resolve(this[TEXT]); } },
  json: {
    value(this: Held) {
      // The first reader gets the value parsed while checking it (executions), if any.
      const parsed = this[PARSED];
      this[PARSED] = undefined;
      return parsed !== undefined ? Promise.resolve(parsed) : Promise.resolve(this[TEXT]).then(JSON.parse);
    },
  },
  clone: { value(this: Held) { return hold(copy(this), this[TEXT]); } },
}) as Record<string, unknown>;
// The other readers, where this runtime has them (`bytes` is newer than Node 20).
for (const reader of ['arrayBuffer', 'blob', 'formData', 'bytes'] as const) {
  if (reader in Response.prototype) HELD[reader] = function (this: Held) { return (copy(this) as unknown as Record<string, () => unknown>)[reader]!(); };
}

function hold(response: Response, text: string): Response {
  Object.setPrototypeOf(response, HELD);
  (response as Held)[TEXT] = text;
  return response;
}

/** Hands `value` (parsed from the held text) to the first `json()` reader instead of parsing again. */
export function keepParsed(response: Response, value: unknown): void {
  if (value !== null && typeof value === 'object') (response as Held)[PARSED] = value;
}

/** The origin of a redirect's target (never the whole URL: it may carry a query), or ''. */
function redirectTarget(response: Response, url: string): string {
  try {
    const location = response.headers.get('location');
    // `redirected`: a custom fetch followed it despite `redirect: 'manual'`.
    return location ? new URL(location, url).origin : response.redirected && response.url ? new URL(response.url).origin : '';
  } catch {
    return '';
  }
}

/**
 * The body as text, read to the end under the attempt's signal; `undefined` when it is larger
 * than MAX_BODY_BYTES (the stream is cancelled, the rest never read). A declared, uncompressed
 * length is read in one go; anything else is counted chunk by chunk.
 */
async function readCapped(response: Response, signal: AbortSignal | undefined): Promise<string | undefined> {
  const { headers, body } = response;
  const declared = Number(headers.get('content-length') ?? NaN);
  if (declared > MAX_BODY_BYTES) {
    body?.cancel().catch(ignore);
    return undefined;
  }
  if (declared >= 0 && !headers.has('content-encoding')) return response.text();
  const reader = body?.getReader();
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
      if (signal?.aborted) throw signal.reason;
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
