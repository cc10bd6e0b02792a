/**
 * A minimal `Request` stand-in handed to openapi-fetch (`createClient({ Request })`).
 * Building a real undici `Request` per call costs about a third of loopback throughput;
 * this keeps only what openapi-fetch, middleware and our transport read.
 */

/** Per-call overrides of the client's transport options (`execute`, `payout`, `getExecution`). */
export interface CallOptions {
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
}

/**
 * Key under which helpers hand per-call options through openapi-fetch's init (which spreads
 * unknown init members, symbols included, into the Request it builds): raw calls never set it.
 */
export const CALL_OPTIONS: unique symbol = Symbol('dollr.callOptions');

/** What the transport is: one request in, one response out, retries and auth inside. */
export type Send = (request: Request | LiteRequest) => Promise<Response>;

export class LiteRequest {
  readonly #lite = true;
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | null;
  signal: AbortSignal | null;
  options: CallOptions | undefined;

  constructor(input: string | URL | { url: string }, init?: RequestInit) {
    this.url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    this.method = init?.method ?? 'GET';
    // openapi-fetch always passes a fresh Headers: reuse it rather than copy.
    const headers = init?.headers;
    this.headers = headers instanceof Headers ? headers : new Headers(headers);
    this.body = init?.body ?? null;
    this.signal = init?.signal ?? null;
    this.options = (init as { [CALL_OPTIONS]?: CallOptions } | undefined)?.[CALL_OPTIONS];
  }

  /**
   * openapi-fetch checks middleware results with `instanceof Request` (this class): accept
   * real Requests too, so middleware may return `new Request(...)`.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return LiteRequest.isLite(value) || (typeof Request === 'function' && value instanceof Request);
  }

  /** Brand check that real Requests fail. */
  static isLite(value: unknown): value is LiteRequest {
    return typeof value === 'object' && value !== null && #lite in value;
  }

  get bodyUsed(): boolean {
    return false;
  }

  clone(): LiteRequest {
    const { url, method, body, signal, options } = this;
    return new LiteRequest(url, { method, headers: new Headers(this.headers), body, signal, [CALL_OPTIONS]: options } as RequestInit);
  }

  // Body readers for middleware; the body stays readable (a string body is kept as is).
  text(): Promise<string> {
    return typeof this.body === 'string' ? Promise.resolve(this.body) : new Response(this.body).text();
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return new Response(this.body).arrayBuffer();
  }

  blob(): Promise<Blob> {
    return new Response(this.body).blob();
  }

  formData(): Promise<FormData> {
    return new Response(this.body).formData();
  }
}
