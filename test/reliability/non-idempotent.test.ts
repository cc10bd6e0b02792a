// A POST that can create something (POST /v1/sessions/payout) must never be re-sent
// once it may have reached the server, and must be re-sent when it provably never left.
//
// `/v1/sessions/payout` is not in the seed spec (only the execution is), so the typed
// `client.POST`/`client.request` refuse the path at compile time. The cast below only
// silences the type checker: at run time it is the very same `client.POST` (the guarded
// wrapper over openapi-fetch and the retrying transport) a user would reach via `as never`.
import { describe, expect, it } from 'vitest';
import { DollrConnectionError } from '../../src/index.js';
import type { DollrClient } from '../../src/index.js';
import { ok, startFaultServer, useFaultServer } from './helpers/fault-server.js';
import type { FaultServer } from './helpers/fault-server.js';
import { makeClient } from './helpers/fixtures.js';
import { closedPort, refusedThenOpened } from './helpers/refused-port.js';
import { createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

const SESSIONS_PATH = '/v1/sessions/payout';
const sessionBody = { payout_account_id: '18', amount: 10, currency: 'USD' };

type UntypedPost = (path: string, init: { body: unknown }) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
const untypedPost = (client: DollrClient): UntypedPost => client.POST as unknown as UntypedPost;

const errors = createErrorCollector();
const server = useFaultServer();

describe('non-idempotent POST /v1/sessions/payout', () => {
  it('is not retried when the connection resets after the server processed it', async () => {
    server().plan = () => ({ kind: 'reset-after' });
    const client = makeClient(server().url);
    const error = await errors.rejection(untypedPost(client)(SESSIONS_PATH, { body: sessionBody }));

    const seen = server().on(SESSIONS_PATH);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.processed).toBe(true);
    expect(seen[0]?.body.toString('utf8')).toBe(JSON.stringify(sessionBody));
    expect(error).toBeInstanceOf(DollrConnectionError);
    const e = error as DollrConnectionError;
    expect(e.attempts).toBe(1);
    expect(e.processed).toBe('unknown');
    expect(e.referenceId).toBeUndefined();
    expect(e.message).toContain('POST /v1/sessions/payout');
    expect(e.message).toMatch(/outcome is unknown/);
    expect(e.message).toMatch(/not retried/);
    // Not an execution: no status lookup, nothing but the one POST.
    expect(server().requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${SESSIONS_PATH}`]);
  });

  it('is not retried on a 503 either (the server may have acted before failing)', async () => {
    server().plan = () => ({ kind: 'reply', status: 503, body: { detail: 'unavailable' } });
    const client = makeClient(server().url);
    const { error, response } = await untypedPost(client)(SESSIONS_PATH, { body: sessionBody });
    expect(server().requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${SESSIONS_PATH}`]);
    expect(response.status).toBe(503);
    expect(error).toEqual({ detail: 'unavailable' });
  });

  it('is retried while the connection is refused (the request provably never left), then lands once', async () => {
    // Attempt 1 meets a closed port; the fake-free proof that it was retried is that a
    // server opened on that port after the refusal receives exactly one request.
    const refused = await refusedThenOpened(startOnPort);
    const client = makeClient(refused.url, 'static', {
      fetch: refused.fetch,
      backoff: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    try {
      const { data, response } = await untypedPost(client)(SESSIONS_PATH, { body: sessionBody });
      const lateServer = await refused.opened();
      expect(lateServer).toBeDefined();
      expect(refused.calls).toBe(2);
      expect(response.status).toBe(200);
      expect(data).toMatchObject({ status: 'PENDING' });
      const seen = lateServer?.on(SESSIONS_PATH) ?? [];
      expect(seen).toHaveLength(1);
      expect(seen[0]?.body.toString('utf8')).toBe(JSON.stringify(sessionBody));
    } finally {
      await (await refused.opened())?.close();
    }
  });

  it('refused on every attempt: retried maxRetries times, then says it was not sent', async () => {
    const port = await closedPort();
    let calls = 0;
    const countingFetch: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const client = makeClient(`http://127.0.0.1:${port}`, 'static', { fetch: countingFetch });
    const error = await errors.rejection(untypedPost(client)(SESSIONS_PATH, { body: sessionBody }));
    expect(error).toBeInstanceOf(DollrConnectionError);
    const e = error as DollrConnectionError;
    expect(calls).toBe(3);
    expect(e.attempts).toBe(3);
    expect(e.code).toBe('ECONNREFUSED');
    expect(e.processed).toBe(false);
    expect(e.message).toMatch(/was not sent/);
  });
});

/** Starts a fault server on a fixed port (the one that refused attempt 1). */
async function startOnPort(port: number): Promise<FaultServer> {
  const s = await startFaultServer(port);
  s.plan = (req) => ok({ id: 7, status: 'PENDING', echo: req.path });
  return s;
}

describe('errors from non-idempotent POSTs', () => {
  it('carry no secrets in any rendering', () => {
    expectNoSecrets(errors.errors, 2);
  });
});
