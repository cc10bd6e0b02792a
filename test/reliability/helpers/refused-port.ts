// A connection refused for real: a loopback port nobody listens on, and a `fetch` that sends
// the first request a test picks to that port (the OS refuses it), everything else where it
// was going. The server behind the client (the sandbox) then shows what the client did after
// the refusal: re-sent it or not, and with which bytes.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A loopback port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface RefusedFirst {
  fetch: typeof fetch;
  /** Every request that matched, in order: whether it was sent to the closed port, and its bytes. */
  readonly attempts: { refused: boolean; body: Buffer }[];
}

/** A fetch that sends the first request matching `method` and `path` to a closed port. */
export async function refuseFirst(method: string, path: string): Promise<RefusedFirst> {
  const port = await closedPort();
  const attempts: { refused: boolean; body: Buffer }[] = [];
  return {
    attempts,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (request.method !== method || url.pathname !== path) return fetch(request);
      const body = Buffer.from(await request.arrayBuffer());
      const refused = attempts.length === 0;
      if (refused) url.port = String(port);
      attempts.push({ refused, body });
      return fetch(url, { method, headers: request.headers, body, signal: request.signal, redirect: request.redirect });
    },
  };
}
