/**
 * Fault injection and the HTTP control surface: what each fault does to processing (the point
 * of 'reset-after' is a payout that went through with its answer lost), matching and `times`,
 * the same controls over HTTP for other languages, and close() leaving nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { connect, payoutBody, payoutSetup, sleep } from './helpers.js';
import type { Api } from './helpers.js';

let sandbox: Sandbox;
let api: Api;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 0 });
  api = await connect(sandbox);
});
beforeEach(async () => {
  sandbox.reset();
  api = await connect(sandbox);
});
afterAll(() => sandbox.close());

const processed = (ref: unknown) => sandbox.executions().filter((e) => e.referenceId === ref);

describe('inject', () => {
  it("'reset-before' cuts the connection and processes nothing", async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: 'reset-before' });
    await expect(api.send('POST', '/v1/executions/payout', body)).rejects.toThrow();
    expect(processed(body.reference_id)).toEqual([]);
    expect((await api.send('GET', `/v1/status/payout/${String(body.reference_id)}`)).status).toBe(404);
    // times defaults to 1: the same payout now goes through.
    expect((await api.send('POST', '/v1/executions/payout', body)).status).toBe(200);
    expect(processed(body.reference_id)).toMatchObject([{ sends: 1 }]);
  });

  it("'reset-after' processes the payout, then cuts the connection unanswered", async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: 'reset-after' });
    await expect(api.send('POST', '/v1/executions/payout', body)).rejects.toThrow();
    expect(processed(body.reference_id)).toMatchObject([{ kind: 'payout', sends: 1, body }]);
    const status = await api.send('GET', `/v1/status/payout/${String(body.reference_id)}`);
    expect(status.body).toMatchObject({ reference_id: body.reference_id, status: 'COMPLETED' });
    // A blind re-send reads as a duplicate, as on Dollr.
    expect((await api.send('POST', '/v1/executions/payout', body)).body).toMatchObject({ detail: [{ loc: ['body', 'reference_id'] }] });
    expect(processed(body.reference_id)).toMatchObject([{ sends: 2 }]);
  });

  it('{ status, retryAfter } answers instead, without processing; sends still counts the POST', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: { status: 429, retryAfter: 2 }, times: 2 });
    for (let i = 0; i < 2; i++) {
      const limited = await api.send('POST', '/v1/executions/payout', body);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.body).toEqual({ detail: 'Too Many Requests' });
    }
    expect(processed(body.reference_id)).toEqual([]);
    sandbox.inject({ path: /^\/v1\/fees\//, fault: { status: 503, body: { detail: 'maintenance' } } });
    const down = await api.send('GET', '/v1/fees/tiers');
    expect(down).toMatchObject({ status: 503, body: { detail: 'maintenance' } });
    const ok = await api.send('POST', '/v1/executions/payout', body);
    expect(ok.status).toBe(200);
    expect(processed(body.reference_id)).toMatchObject([{ sends: 3 }]);
  });

  it('{ delayMs } processes at once and answers late', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: { delayMs: 400 } });
    const started = Date.now();
    const pending = api.send('POST', '/v1/executions/payout', body);
    await sleep(150);
    expect(processed(body.reference_id)).toHaveLength(1);
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('{ status, processed: true } processes, then answers that status with a FastAPI body', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: { status: 503, processed: true, retryAfter: 1 } });
    const answer = await api.send('POST', '/v1/executions/payout', body);
    expect(answer).toMatchObject({ status: 503, body: { detail: 'Service Unavailable' } });
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(processed(body.reference_id)).toMatchObject([{ sends: 1, status: 'COMPLETED' }]);
    expect((await api.send('GET', `/v1/status/payout/${String(body.reference_id)}`)).status).toBe(200);
  });

  it('{ redirect } answers 307 (or the status given) with that Location, processing nothing', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: { redirect: 'https://elsewhere.example/pay' } });
    sandbox.inject({ path: '/v1/fees/tiers', fault: { redirect: '/v1/fees/gateway', status: 301 } });
    const send = (path: string, init: RequestInit = {}) =>
      fetch(`${sandbox.url}${path}`, { redirect: 'manual', ...init, headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' } });
    const moved = await send('/v1/executions/payout', { method: 'POST', body: JSON.stringify(body) });
    expect(moved.status).toBe(307);
    expect(moved.headers.get('location')).toBe('https://elsewhere.example/pay');
    const permanent = await send('/v1/fees/tiers');
    expect([permanent.status, permanent.headers.get('location')]).toEqual([301, '/v1/fees/gateway']);
    expect(processed(body.reference_id)).toEqual([]);
    expect((await api.send('POST', '/v1/executions/payout', body)).status).toBe(200);
  });

  it("'stall' processes and sends the headers, never the body; close() ends the held socket at once", async () => {
    const s = await startSandbox({ settleAfterMs: 0 });
    try {
      const a = await connect(s);
      const setup = await payoutSetup(a);
      const body = payoutBody(s, setup);
      s.inject({ path: '/v1/executions/payout', fault: 'stall' });
      const response = await fetch(`${s.url}/v1/executions/payout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
      expect(s.executions()).toMatchObject([{ referenceId: body.reference_id, sends: 1 }]);
      const reading = response.text();
      const first = await Promise.race([reading.then(() => 'body'), sleep(300).then(() => 'still waiting')]);
      expect(first).toBe('still waiting');
      const closing = Date.now();
      await s.close();
      await expect(reading).rejects.toThrow();
      expect(Date.now() - closing).toBeLessThan(5_000);
    } finally {
      await s.close();
    }
  });

  it('{ dripMs } processes, then sends the whole body one byte at a time', async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: { dripMs: 1 } });
    const response = await fetch(`${sandbox.url}/v1/executions/payout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(processed(body.reference_id)).toHaveLength(1);
    const chunks: number[] = [];
    const reader = response.body!.getReader();
    let text = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value.length);
      text += Buffer.from(next.value).toString('utf8');
    }
    expect(JSON.parse(text)).toMatchObject({ reference_id: body.reference_id, status: 'PENDING' });
    expect(Math.max(...chunks)).toBeLessThan(text.length);
    expect(chunks.length).toBeGreaterThan(text.length / 4);
    expect(sandbox.requests().at(-1)).toMatchObject({ status: 200, fault: 'drip 1ms' });
  });

  it("'truncate' processes, declares the full length, sends half and closes", async () => {
    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    sandbox.inject({ path: '/v1/executions/payout', fault: 'truncate' });
    const response = await fetch(`${sandbox.url}/v1/executions/payout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const declared = Number(response.headers.get('content-length'));
    expect(declared).toBeGreaterThan(100);
    await expect(response.text()).rejects.toThrow();
    expect(processed(body.reference_id)).toMatchObject([{ sends: 1 }]);
  });

  it('matches by method, exact path, template and RegExp, in injection order', async () => {
    sandbox.inject({ method: 'POST', path: /^\/v1\//, fault: { status: 500 } }); // never matches a GET
    sandbox.inject({ path: '/v1/status/payout/{reference_id}', fault: { status: 502 } });
    sandbox.inject({ path: /tiers$/g, fault: { status: 504 }, times: 2 });
    expect((await api.send('GET', `/v1/status/payout/${randomUUID()}`)).status).toBe(502);
    expect((await api.send('GET', `/v1/status/payout/${randomUUID()}`)).status).toBe(404);
    expect((await api.send('GET', '/v1/fees/tiers')).status).toBe(504);
    expect((await api.send('GET', '/v1/fees/tiers')).status).toBe(504);
    expect((await api.send('GET', '/v1/fees/tiers')).status).toBe(200);
  });

  it('refuses malformed injections', () => {
    // @ts-expect-error a path must start with '/'
    expect(() => sandbox.inject({ path: 'v1/no-slash', fault: 'reset-after' })).toThrow(TypeError);
    expect(() => sandbox.inject({ path: '/v1/fees/tiers', fault: 'explode' as 'reset-after' })).toThrow(/fault must be/);
    expect(() => sandbox.inject({ path: '/v1/fees/tiers', fault: { status: 42 } })).toThrow(/fault must be/);
    expect(() => sandbox.inject({ path: '/v1/fees/tiers', fault: 'reset-after', times: 0 })).toThrow(/times/);
    expect(() => sandbox.inject({ path: '/v1/fees/tiers', fault: { redirect: 'http://elsewhere.test/', status: 200 as 307 } })).toThrow(/redirect/);
    expect(() => sandbox.inject({ path: '/v1/fees/tiers', fault: { dripMs: -1 } })).toThrow(/dripMs/);
    expect(sandbox.executions()).toEqual([]);
  });
});

describe('HTTP control surface (/_sandbox)', () => {
  const control = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as unknown };
  };

  it("injects faults ('*' for one segment), sets outcomes, lists executions, resets", async () => {
    expect((await control('POST', '/inject', { method: 'GET', path: '/v1/fees/*', fault: { status: 429, retryAfter: 1 }, times: 1 })).status).toBe(200);
    expect((await api.send('GET', '/v1/fees/tiers')).status).toBe(429);

    const setup = await payoutSetup(api);
    const body = payoutBody(sandbox, setup);
    expect((await control('POST', '/outcomes', { reference_id: body.reference_id, status: 'FAILED', message: 'No funds' })).status).toBe(200);
    await control('POST', '/inject', { path: '/v1/executions/payout', fault: 'reset-after' });
    await expect(api.send('POST', '/v1/executions/payout', body)).rejects.toThrow();
    const listed = await control('GET', '/executions');
    expect(listed.body).toEqual([{ kind: 'payout', referenceId: body.reference_id, body, status: 'FAILED', sends: 1 }]);
    expect((await api.send('GET', `/v1/status/payout/${String(body.reference_id)}`)).body).toMatchObject({ wallet_message: 'No funds' });

    const info = await control('GET', '');
    expect(info.body).toMatchObject({
      url: sandbox.url,
      client_id: sandbox.credentials.clientId,
      client_secret: sandbox.credentials.clientSecret,
      passcode: { code: sandbox.passcode.code, phone: sandbox.passcode.phone },
      pending_faults: 0,
    });
    expect((await control('POST', '/reset')).status).toBe(200);
    expect((await control('GET', '/executions')).body).toEqual([]);
  });

  it('says what is wrong with a bad request (400), and is never faulted itself', async () => {
    expect(await control('POST', '/inject', { path: '/v1/fees/tiers', fault: 'explode' })).toMatchObject({ status: 400, body: { detail: expect.stringContaining('fault') } });
    // No RegExp over HTTP: a pattern from the network could block the event loop.
    expect(await control('POST', '/inject', { path: { pattern: '(' }, fault: 'reset-before' })).toMatchObject({ status: 400, body: { detail: expect.stringContaining('RegExp') } });
    expect(await control('POST', '/inject', { path: { pattern: '^(a+)+$' }, fault: 'reset-before' })).toMatchObject({ status: 400 });
    expect((await control('POST', '/outcomes', { reference_id: 'x', status: 'MAYBE' })).status).toBe(400);
    expect((await control('GET', '/nothing')).status).toBe(404);
    sandbox.inject({ path: /.*/, fault: 'reset-before', times: 5 });
    expect((await control('GET', '/executions')).status).toBe(200);
    sandbox.reset();
  });
});

describe('close()', () => {
  const handles = () =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap' || r === 'Timeout').length;

  it('leaves no server, socket or timer behind, even with a delayed answer pending', async () => {
    await sleep(50);
    const before = handles();
    const s = await startSandbox();
    const a = await connect(s);
    const setup = await payoutSetup(a);
    s.inject({ path: '/v1/executions/payout', fault: { delayMs: 30_000 } });
    const pending = a.send('POST', '/v1/executions/payout', payoutBody(s, setup));
    while (s.executions().length === 0) await sleep(10);
    await s.close();
    await s.close(); // safe twice
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${s.url}/v1/fees/tiers`)).rejects.toThrow();
    await expect.poll(handles, { timeout: 5_000 }).toBeLessThanOrEqual(before);
  });

  it('listens on 127.0.0.1 by default', async () => {
    expect(new URL(sandbox.url).hostname).toBe('127.0.0.1');
  });
});
