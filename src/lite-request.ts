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

  constructor(input: string | URL | { url: string }, init?: RequestInit) {
    this.url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    this.method = init?.method ?? 'GET';
    // openapi-fetch always passes a fresh Headers: reuse it rather than copy.
    const headers = init?.headers;
    this.headers = headers instanceof Headers ? headers : new Headers(headers);
    this.body = init?.body ?? null;
    this.signal = init?.signal ?? null;
  }

  /**
   * openapi-fetch checks middleware results with `instanceof Request` (this class): accept
   * real Requests too, so middleware may return `new Request(...)`.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    return #lite in value || (typeof Request === 'function' && value instanceof Request);
  }

  /** Brand check that real Requests fail. */
  static isLite(value: unknown): value is LiteRequest {
    return typeof value === 'object' && value !== null && #lite in value;
  }

  get bodyUsed(): boolean {
    return false;
  }

  clone(): LiteRequest {
    return new LiteRequest(this.url, {
      method: this.method,
      headers: new Headers(this.headers),
      body: this.body,
      signal: this.signal,
    });
  }

  text(): Promise<string> {
    if (typeof this.body === 'string') return Promise.resolve(this.body);
    if (this.body === null) return Promise.resolve('');
    return new Response(this.body).text();
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

  toString(): string {
    return `LiteRequest ${this.method} ${this.url}`;
  }
}
