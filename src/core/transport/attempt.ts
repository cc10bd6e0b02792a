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

/** `body`: the bytes the response holds, for callers that must read them without a clone. */
export type AttemptResult = { response: Response; body: Uint8Array<ArrayBuffer> } | { redirect: Redirect } | { failure: Failure };

function abortForTimeout(controller: AbortController): void {
  controller.abort();
}

/**
 * Sends `init` to `url` once. `init` must already carry `redirect: 'manual'` and every header;
 * the signal is added here. Only fetch's own failures become `{ failure }`: a bug in a custom
 * fetch's caller code propagates as itself only when it is not a fetch rejection.
 */
export async function attempt(
  fetch: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  userSignal: AbortSignal | null,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(abortForTimeout, clampTimer(timeoutMs), controller);
  const forward = userSignal ? (): void => controller.abort(userSignal.reason) : undefined;
  if (forward) {
    if (userSignal!.aborted) forward();
    else userSignal!.addEventListener('abort', forward, { once: true });
  }
  const failed = (cause: unknown, status?: number): { failure: Failure } => {
    if (userSignal?.aborted) return { failure: { kind: 'aborted', cause: userSignal.reason } };
    if (controller.signal.aborted) return { failure: { kind: 'timeout', ...(status !== undefined && { status }) } };
    if (status === undefined) {
      const refusal = fetchRefusal(cause);
      if (refusal !== undefined || neverSent(cause)) return { failure: { kind: 'not-sent', cause, refusal } };
    }
    return { failure: { kind: 'lost', cause, ...(status !== undefined && { status }) } };
  };
  init.signal = controller.signal;
  try {
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      return failed(error);
    }
    if (isRedirect(response)) {
      response.body?.cancel().catch(() => undefined);
      return { redirect: redirectOf(response, url) };
    }
    try {
      const body = await readCapped(response, controller.signal);
      if (body === undefined) return { failure: { kind: 'too-large', status: response.status } };
      return { response: holding(response, body), body };
    } catch (error) {
      return failed(error, response.status);
    }
  } finally {
    clearTimeout(timer);
    if (forward) userSignal!.removeEventListener('abort', forward);
  }
}

const decoder = new TextDecoder();

/**
 * The same Response, its body read: readers answer from the bytes held, so reading it again
 * (openapi-fetch, middleware, the caller) neither waits on the network nor copies headers into
 * a new Response. A real Response still (`instanceof`, headers, status), cheap on the hot path.
 */
function holding(response: Response, bytes: Uint8Array<ArrayBuffer>): Response {
  let text: string | undefined;
  const asText = (): string => (text ??= decoder.decode(bytes));
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  const copy = (): Response => new Response(bytes.byteLength === 0 ? null : bytes.slice(), init);
  Object.defineProperties(response, {
    bodyUsed: { get: () => false, configurable: true },
    body: { get: () => (bytes.byteLength === 0 ? null : copy().body), configurable: true },
    text: { value: () => Promise.resolve(asText()), configurable: true },
    json: { value: () => Promise.resolve().then(() => JSON.parse(asText()) as unknown), configurable: true },
    arrayBuffer: { value: () => Promise.resolve(bytes.slice().buffer), configurable: true },
    blob: { value: () => copy().blob(), configurable: true },
    formData: { value: () => copy().formData(), configurable: true },
    clone: { value: copy, configurable: true },
  });
  return response;
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
 * The body, read to the end under the attempt's signal; `undefined` when it is larger than
 * MAX_BODY_BYTES (the stream is cancelled, the rest never read). A declared, uncompressed
 * length is read in one go; anything else is counted chunk by chunk.
 */
async function readCapped(response: Response, signal: AbortSignal): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const length = response.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (declared > MAX_BODY_BYTES) {
    response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (declared >= 0 && !response.headers.has('content-encoding')) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  // A fetch that ignores the signal for its body still stops here: cancelling ends the read.
  const stop = (): void => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
