/** A `fetch` that records what the client sends and what came back, delegating to the real one. */
import type { FetchLike } from '../../../src/index.js';

export interface SentRequest {
  method: string;
  url: string;
  /** Read when the request is sent: the transport removes the header from its request object afterwards. */
  authorization: string | null;
  /** An unread copy of the response, once it has arrived. */
  response?: Response;
}

export function recordingFetch(): { fetch: FetchLike; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const fetch: FetchLike = async (input, init) => {
    const request = typeof input === 'object' && !(input instanceof URL) ? input : undefined;
    const entry: SentRequest = {
      method: init?.method ?? request?.method ?? 'GET',
      url: request?.url ?? String(input),
      authorization: new Headers(init?.headers ?? request?.headers).get('authorization'),
    };
    sent.push(entry);
    const response = await globalThis.fetch(input, init);
    entry.response = response.clone();
    return response;
  };
  return { fetch, sent };
}
