// A connection refused for real: a loopback port nobody listens on, and a `fetch` that opens a
// server on that port once the first attempt has been refused. The proof that the client re-sent
// after the refusal is what that late server receives; `calls` counts every fetch call.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FaultServer } from './fault-server.js';

/** A loopback port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface RefusedThenOpened {
  url: string;
  fetch: typeof fetch;
  /** fetch calls made so far. */
  readonly calls: number;
  /** The server opened after the first refusal (undefined if nothing was ever refused). */
  opened(): Promise<FaultServer | undefined>;
}

export async function refusedThenOpened(start: (port: number) => Promise<FaultServer>): Promise<RefusedThenOpened> {
  const port = await closedPort();
  let opened: Promise<FaultServer> | undefined;
  let calls = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    fetch: async (input, init) => {
      calls++;
      try {
        return await fetch(input, init);
      } catch (error) {
        opened ??= start(port);
        await opened;
        throw error;
      }
    },
    get calls() {
      return calls;
    },
    opened: async () => opened,
  };
}
