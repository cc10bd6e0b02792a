/**
 * A minimal `Request` stand-in handed to openapi-fetch (`createClient({ Request })`).
 * Building a real undici `Request` per call costs about a third of loopback throughput;
 * this keeps only what openapi-fetch, middleware and our transport read.
 */

export class LiteRequest {
  readonly #lite = true;
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | null;
  signal: AbortSignal | null;

  constructor(input: string | URL | { url: string }, init: RequestInit = {}) {
    this.url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    this.method = init.method ?? 'GET';
    // openapi-fetch always passes a fresh Headers: reuse it rather than copy.
    const { headers } = init;
    this.headers = headers instanceof Headers ? headers : new Headers(headers);
    this.body = init.body ?? null;
    this.signal = init.signal ?? null;
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
    return new LiteRequest(this.url, { ...this, headers: new Headers(this.headers) });
  }

  // Body readers for middleware; the body stays readable (a string body is kept as is).
  text(): Promise<string> {
    return typeof this.body === 'string' ? Promise.resolve(this.body) : new Response(this.body).text();
  }

  json(): Promise<unknown> {
    return this.text().then(JSON.parse);
  }

  declare arrayBuffer: () => Promise<ArrayBuffer>;
  declare blob: () => Promise<Blob>;
  declare formData: () => Promise<FormData>;
}

// The other readers (declared above), each from a copy so the body stays readable.
for (const reader of ['arrayBuffer', 'blob', 'formData'] as const) {
  LiteRequest.prototype[reader] = function (this: LiteRequest) {
    return new Response(this.body)[reader]();
  } as never;
}
