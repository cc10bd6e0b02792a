// waitForExecution under fake timers (the client waits with setTimeout and reads Date.now()).
// What is under test is the polling loop, not HTTP: the client's `fetch` answers status
// lookups from an in-memory script (one step per call), and records when (fake time) and
// what it was asked, so "no poll sooner than Retry-After" is measured on the faked clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DollrApiError, DollrError, DollrWaitTimeoutError, createDollrClient, isFinalStatus, newReferenceId } from '../../src/index.js';
import type { DollrClient, ExecutionResponse } from '../../src/index.js';
import { executionResponse } from './helpers/fixtures.js';
import { STATIC_TOKEN } from './helpers/secrets.js';

const BASE_URL = 'http://127.0.0.1:9';

/** One scripted answer: a status to report, or an HTTP error. */
type Step = { status: string; extra?: Record<string, unknown> } | { http: number; headers?: Record<string, string>; body?: unknown } | 'hang' | 'reset';

interface Poll {
  at: number;
  url: string;
  method: string;
  authorization: string | null;
}

interface Script {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  polls: Poll[];
}

function script(referenceId: string, steps: Step[]): Script {
  const polls: Poll[] = [];
  return {
    polls,
    fetch: (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      polls.push({ at: Date.now(), url: request.url, method: init?.method ?? request.method, authorization: new Headers(init?.headers ?? request.headers).get('authorization') });
      const step = steps[polls.length - 1];
      if (step === undefined) return Promise.resolve(Response.json({ detail: 'script exhausted' }, { status: 500 }));
      if (step === 'hang') {
        // Never answers; rejects only when the request's signal aborts.
        return new Promise((_resolve, reject) => {
          const signal = init?.signal;
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      }
      if (step === 'reset') {
        // What undici's fetch rejects with when the connection drops.
        return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }) }));
      }
      if ('http' in step) return Promise.resolve(Response.json(step.body ?? { detail: 'fault' }, { status: step.http, headers: step.headers }));
      return Promise.resolve(Response.json({ ...executionResponse('payout', referenceId, step.status), ...step.extra }));
    },
  };
}

function clientFor(s: Script): DollrClient {
  return createDollrClient({ baseUrl: BASE_URL, auth: STATIC_TOKEN, fetch: s.fetch, logLevel: 'off', timeoutMs: 5_000 });
}

/** Settles a promise into a value we can inspect without an unhandled rejection. */
function track<T>(promise: Promise<T>): { settled: () => boolean; result: () => Promise<{ value?: T; error?: unknown }> } {
  let done = false;
  const settled = promise.then(
    (value) => ((done = true), { value }),
    (error: unknown) => ((done = true), { error }),
  );
  return { settled: () => done, result: () => settled };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(new Date('2026-11-26T09:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('waitForExecution', () => {
  it('PENDING -> PROCESSING x4 -> COMPLETED resolves; onStatus once per change; polls slow down while PROCESSING', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [
      { status: 'PENDING' },
      { status: 'PROCESSING' },
      { status: 'PROCESSING' },
      { status: 'PROCESSING' },
      { status: 'PROCESSING' },
      { status: 'COMPLETED', extra: { provider_transaction_id: 'MP-77' } },
    ]);
    const seen: string[] = [];
    const wait = track(clientFor(s).waitForExecution('payout', referenceId, { pollIntervalMs: 2_000, maxWaitMs: 600_000, onStatus: (e) => seen.push(e.status) }));
    await vi.runAllTimersAsync();
    const { value, error } = await wait.result();
    expect(error).toBeUndefined();
    expect(value).toEqual({ ...executionResponse('payout', referenceId, 'COMPLETED'), provider_transaction_id: 'MP-77' });
    expect(seen).toEqual(['PENDING', 'PROCESSING', 'COMPLETED']);
    expect(s.polls).toHaveLength(6);
    for (const poll of s.polls) {
      expect(poll.method).toBe('GET');
      expect(poll.url).toBe(`${BASE_URL}/v1/status/payout/${referenceId}`);
      expect(poll.authorization).toBe(`Bearer ${STATIC_TOKEN}`);
    }
    const gaps = s.polls.slice(1).map((p, i) => p.at - (s.polls[i] as Poll).at);
    // First gap is the poll interval; every gap after a PROCESSING answer is longer than the one before.
    expect(gaps[0]).toBe(2_000);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] as number);
    expect(isFinalStatus((value as ExecutionResponse).status)).toBe(true);
  });

  it('FAILED resolves (an outcome, not an error)', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [
      { status: 'PENDING' },
      { status: 'FAILED', extra: { wallet_message: 'Insufficient balance in the merchant wallet' } },
    ]);
    const onStatus = vi.fn();
    const wait = track(clientFor(s).waitForExecution('payout', referenceId, { pollIntervalMs: 1_000, onStatus }));
    await vi.runAllTimersAsync();
    const { value, error } = await wait.result();
    expect(error).toBeUndefined();
    expect(value).toMatchObject({ reference_id: referenceId, status: 'FAILED', wallet_message: 'Insufficient balance in the merchant wallet' });
    expect(onStatus.mock.calls.map(([e]) => (e as ExecutionResponse).status)).toEqual(['PENDING', 'FAILED']);
    expect(s.polls).toHaveLength(2);
  });

  it('abort while waiting between polls rejects at once with the signal reason', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [{ status: 'PENDING' }, { status: 'PENDING' }, { status: 'COMPLETED' }]);
    const controller = new AbortController();
    const wait = track(clientFor(s).waitForExecution('payout', referenceId, { pollIntervalMs: 3_000, signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1_000); // first poll done, sleeping until 3 s
    expect(s.polls).toHaveLength(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    // No timer is advanced: the rejection must not wait for the poll interval.
    const { error, value } = await wait.result();
    expect(value).toBeUndefined();
    expect(error).toBe(reason);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(s.polls).toHaveLength(1);
  });

  it('abort during a lookup in flight rejects at once with the signal reason', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, ['hang']);
    const controller = new AbortController();
    const wait = track(clientFor(s).waitForExecution('payout', referenceId, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    expect(s.polls).toHaveLength(1);
    const reason = new Error('user cancelled');
    controller.abort(reason);
    expect((await wait.result()).error).toBe(reason);
    expect(s.polls).toHaveLength(1);
  });

  it('an already-aborted signal rejects without a lookup', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [{ status: 'COMPLETED' }]);
    const reason = new Error('too late');
    const error = await clientFor(s)
      .waitForExecution('payout', referenceId, { signal: AbortSignal.abort(reason) })
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(s.polls).toHaveLength(0);
  });

  it('maxWaitMs reached: rejects with DollrWaitTimeoutError carrying referenceId and the last status, not sooner', async () => {
    const referenceId = newReferenceId();
    const steps: Step[] = Array.from({ length: 50 }, (_, i) => ({ status: 'PROCESSING', extra: { gateway_message: `poll ${i + 1}` } }));
    const s = script(referenceId, steps);
    const started = Date.now();
    const wait = track(clientFor(s).waitForExecution('transfer', referenceId, { pollIntervalMs: 1_000, maxWaitMs: 20_000 }));
    await vi.advanceTimersByTimeAsync(19_999);
    expect(wait.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { error } = await wait.result();
    expect(Date.now() - started).toBe(20_000);
    expect(error).toBeInstanceOf(DollrWaitTimeoutError);
    expect(error).toBeInstanceOf(DollrError);
    const e = error as DollrWaitTimeoutError;
    expect(e.referenceId).toBe(referenceId);
    const last = s.polls.length;
    expect(last).toBeGreaterThan(2);
    expect(last).toBeLessThan(20);
    expect(e.lastStatus).toEqual({ ...executionResponse('payout', referenceId, 'PROCESSING'), gateway_message: `poll ${last}` });
    expect(e.message).toContain(referenceId);
    expect(e.message).toContain('PROCESSING');
    expect(s.polls.every((p) => p.url.endsWith(`/v1/status/transfer/${referenceId}`))).toBe(true);
  });

  it('a reference_id that never landed (404) rejects at once: there is nothing to wait for', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [{ http: 404, body: { detail: 'Not Found' } }, { status: 'COMPLETED' }]);
    const wait = track(clientFor(s).waitForExecution('payout', referenceId, { pollIntervalMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(0);
    const { error } = await wait.result();
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(404);
    expect((error as DollrApiError).referenceId).toBe(referenceId);
    expect(s.polls).toHaveLength(1);
  });

  it('maxWaitMs reached before any answer: lastStatus is null', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, Array.from({ length: 30 }, () => ({ http: 503 })));
    const wait = track(clientFor(s).waitForExecution('refund', referenceId, { pollIntervalMs: 1_000, maxWaitMs: 5_000 }));
    await vi.advanceTimersByTimeAsync(5_000);
    const { error } = await wait.result();
    expect(error).toBeInstanceOf(DollrWaitTimeoutError);
    expect((error as DollrWaitTimeoutError).lastStatus).toBeNull();
    expect((error as DollrWaitTimeoutError).referenceId).toBe(referenceId);
  });

  it('429 with Retry-After: the next poll comes no sooner than asked', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [
      { status: 'PENDING' },
      { http: 429, headers: { 'retry-after': '7' }, body: { detail: 'Too Many Requests' } },
      { status: 'COMPLETED' },
    ]);
    const onStatus = vi.fn();
    const wait = track(clientFor(s).waitForExecution('collection', referenceId, { pollIntervalMs: 1_000, onStatus }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.polls).toHaveLength(2); // PENDING, then the 429
    await vi.advanceTimersByTimeAsync(6_999);
    expect(s.polls).toHaveLength(2); // not before the 7 s the server asked for
    await vi.advanceTimersByTimeAsync(1);
    expect(s.polls).toHaveLength(3);
    const { value } = await wait.result();
    expect(value).toMatchObject({ status: 'COMPLETED' });
    expect((s.polls[2] as Poll).at - (s.polls[1] as Poll).at).toBe(7_000);
    expect(onStatus).toHaveBeenCalledTimes(2);
  });

  it('transient failures (503, a reset connection) keep polling, and do not count as a change of status', async () => {
    const referenceId = newReferenceId();
    const s = script(referenceId, [{ status: 'PENDING' }, { http: 503 }, 'reset', { status: 'PENDING' }, { status: 'COMPLETED' }]);
    const onStatus = vi.fn();
    const wait = track(clientFor(s).waitForExecution('payout', referenceId, { pollIntervalMs: 1_000, onStatus }));
    await vi.runAllTimersAsync();
    const { value, error } = await wait.result();
    expect(error).toBeUndefined();
    expect(value).toMatchObject({ status: 'COMPLETED' });
    expect(s.polls).toHaveLength(5);
    expect(onStatus.mock.calls.map(([e]) => (e as ExecutionResponse).status)).toEqual(['PENDING', 'COMPLETED']);
  });
});
