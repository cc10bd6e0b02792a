/**
 * The `tokenStore` option of createDollrClient: clients sharing a store share one token (one
 * token request for all of them), a token refused with a 401 is replaced once for everyone,
 * and a bad store is refused before any call.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDollrClient, DollrInputError } from '../../src/index.js';
import { memoryTokenStore } from '../../src/core/token-store.js';
import type { TokenStore } from '../../src/core/token-store.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 0, tokenTtlMinutes: 0.02 });
});
afterAll(() => sandbox.close());

const tokenRequests = () => sandbox.requests().filter((r) => r.operation?.endsWith('/jwt/client/obtain/token')).length;

it('five clients sharing a store ask for one token; an expired one is replaced once for all', async () => {
  const tokenStore = memoryTokenStore();
  const clients = Array.from({ length: 5 }, () => createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials, tokenStore }));
  const lookups = await Promise.all(clients.map((c) => c.GET('/v1/parties/list', {})));
  expect(lookups.map((l) => l.response.status)).toEqual([200, 200, 200, 200, 200]);
  expect(tokenRequests()).toBe(1);
  // The sandbox's token dies after 1.2 s while expires_in says a minute: every client gets a 401.
  await new Promise((resolve) => setTimeout(resolve, 1_400));
  const again = await Promise.all(clients.map((c) => c.GET('/v1/parties/list', {})));
  expect(again.map((l) => l.response.status)).toEqual([200, 200, 200, 200, 200]);
  expect(tokenRequests()).toBe(2);
  // Without a store, each client asks for its own.
  const alone = Array.from({ length: 3 }, () => createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials }));
  await Promise.all(alone.map((c) => c.GET('/v1/parties/list', {})));
  expect(tokenRequests()).toBe(5);
});

it('refuses a tokenStore without refresh() before any call', () => {
  expect(() => createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials, tokenStore: {} as TokenStore })).toThrow(DollrInputError);
  expect(() => createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials, tokenStore: {} as TokenStore })).toThrow(/tokenStore/);
});
