/**
 * What the transport is, as types only, so auth (which sends the token request through it)
 * and the transport (which asks auth for tokens) need not import each other.
 */
import type { LiteRequest } from './lite-request.js';
import type { FetchLike } from './transport/attempt.js';

/** What one call tells its caller besides the response: filled in when the call ends. */
export interface CallRecord {
  attempts: number;
  processed: false | 'unknown';
}

/** Per-call overrides, and where to record the call. */
export interface PerCall {
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  /** A per-request fetch (openapi-fetch's `fetch` init field): used under the transport's rules. */
  fetch?: FetchLike | undefined;
  /** The caller's signal, kept even when middleware replaces the request (and drops its signal). */
  signal?: AbortSignal | undefined;
  record?: CallRecord | undefined;
}

/** One request in, one response out; `with` binds per-call options (openapi-fetch's per-request `fetch`). */
export interface Send {
  (request: Request | LiteRequest): Promise<Response>;
  with(perCall: PerCall): (request: Request | LiteRequest) => Promise<Response>;
}
