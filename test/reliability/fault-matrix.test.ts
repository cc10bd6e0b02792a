// Fault matrix: every fault the transport must survive, against a real loopback server
// that records each attempt, for both `client.payout()` and raw `client.POST`.
// For each case: the attempts the server saw, that every attempt carried byte-identical
// bytes with the same reference_id, and the final result or error type.
import { describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrTimeoutError, newReferenceId } from '../../src/index.js';
import type { PayoutInput, PayoutRequest } from '../../src/index.js';
import { PAYOUT_PATH, TOKEN_PATH, executionFor, ok, useFaultServer, status } from './helpers/fault-server.js';
import type { FaultServer, Plan } from './helpers/fault-server.js';
import { expectedBody, makeClient, passcode, referenceIdOf } from './helpers/fixtures.js';
import type { AuthKind } from './helpers/fixtures.js';
import { PASSCODE_CODE, createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

type Via = 'payout()' | 'raw POST';

/** What the call produced: a value (payout data, or openapi-fetch's `{ data, error, response }`) or a throw. */
type Outcome = { threw: false; value: unknown } | { threw: true; error: unknown };

interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

interface Context {
  via: Via;
  server: FaultServer;
  referenceId: string;
  /** Values the plan chose and the checks need (e.g. a Retry-After date). */
  notes: Record<string, number>;
}

interface FaultCase {
  name: string;
  auth?: AuthKind;
  timeoutMs?: number;
  plan: (ctx: Context) => Plan;
  /** Execution attempts the server must see. */
  attempts: number;
  /** `processed` flag of each attempt, when it matters. */
  processed?: boolean[];
  check: (outcome: Outcome, ctx: Context) => void;
}

const MAX_RETRIES = 2;
const ALL_ATTEMPTS = MAX_RETRIES + 1;

function expectSuccess(outcome: Outcome, ctx: Context): void {
  if (outcome.threw) throw new Error(`expected success, got ${String(outcome.error)}`);
  if (ctx.via === 'payout()') {
    expect(outcome.value).toMatchObject({ reference_id: ctx.referenceId, status: 'PENDING' });
  } else {
    const raw = outcome.value as RawResult;
    expect(raw.error).toBeUndefined();
    expect(raw.response.status).toBe(200);
    expect(raw.data).toMatchObject({ reference_id: ctx.referenceId });
  }
}

/** payout() throws DollrApiError; raw POST returns openapi-fetch's `{ error, response }`. */
function expectApiFailure(statusCode: number, attempts: number) {
  return (outcome: Outcome, ctx: Context): DollrApiError | RawResult => {
    if (ctx.via === 'payout()') {
      if (!outcome.threw) throw new Error(`expected DollrApiError ${statusCode}, got a value`);
      const error = outcome.error as DollrApiError;
      expect(error).toBeInstanceOf(DollrApiError);
      expect(error.status).toBe(statusCode);
      expect(error.referenceId).toBe(ctx.referenceId);
      expect(error.attempts).toBe(attempts);
      return error;
    }
    if (outcome.threw) throw new Error(`raw POST must not throw for HTTP ${statusCode}: ${String(outcome.error)}`);
    const raw = outcome.value as RawResult;
    expect(raw.data).toBeUndefined();
    expect(raw.response.status).toBe(statusCode);
    expect(raw.error).toBeDefined();
    return raw;
  };
}

/** Connection-level failures throw from both paths, with the reference_id attached. */
function expectThrown<T extends DollrConnectionError>(Type: new (...args: never[]) => T, attempts: number) {
  return (outcome: Outcome, ctx: Context): void => {
    if (!outcome.threw) throw new Error(`expected ${Type.name}, got a value`);
    const error = outcome.error as T;
    expect(error).toBeInstanceOf(Type);
    expect(error.attempts).toBe(attempts);
    expect(error.referenceId).toBe(ctx.referenceId);
    expect(error.message).toMatch(/outcome is unknown/);
    expect(error.message).toContain('same reference_id');
  };
}

const fail422 = {
  detail: [
    {
      loc: ['body', 'passcode', 'token', 'phone'],
      msg: 'String should match pattern',
      type: 'string_pattern_mismatch',
      // FastAPI echoes the submitted value; here the whole token, code included.
      input: { phone: '231771234567', code: PASSCODE_CODE },
    },
  ],
};

/** A whole second 1 to 2 s ahead, as an HTTP-date (IMF-fixdate). */
function httpDateAhead(): number {
  return Math.ceil(Date.now() / 1000) * 1000 + 1000;
}

const cases: FaultCase[] = [
  {
    name: '503 then 200',
    plan: () => (req, nth) => (nth === 0 ? status(503) : ok(executionFor(req))),
    attempts: 2,
    check: expectSuccess,
  },
  {
    name: '500 on every attempt',
    plan: () => () => status(500, { detail: 'internal error' }),
    attempts: ALL_ATTEMPTS,
    check: (outcome, ctx) => {
      const result = expectApiFailure(500, ALL_ATTEMPTS)(outcome, ctx);
      if (result instanceof DollrApiError) expect(result.message).toContain('500');
      else expect(result.error).toEqual({ detail: 'internal error' });
    },
  },
  {
    name: 'reset before processing, then 200',
    plan: () => (req, nth) => (nth === 0 ? { kind: 'reset-before' } : ok(executionFor(req))),
    attempts: 2,
    processed: [false, true],
    check: expectSuccess,
  },
  {
    name: 'reset after processing, then 200',
    plan: () => (req, nth) => (nth === 0 ? { kind: 'reset-after' } : ok(executionFor(req))),
    attempts: 2,
    processed: [true, true],
    check: expectSuccess,
  },
  {
    name: 'reset after processing on every attempt',
    plan: () => () => ({ kind: 'reset-after' }),
    attempts: ALL_ATTEMPTS,
    processed: [true, true, true],
    check: expectThrown(DollrConnectionError, ALL_ATTEMPTS),
  },
  {
    name: 'reply slower than timeoutMs, then 200',
    timeoutMs: 400,
    plan: () => (req, nth) => (nth === 0 ? { ...ok(executionFor(req)), delayMs: 1500 } : ok(executionFor(req))),
    attempts: 2,
    check: (outcome, ctx) => {
      expectSuccess(outcome, ctx);
      const [first, second] = ctx.server.on(PAYOUT_PATH);
      // The retry came after the 400 ms per-attempt timeout, not after the slow reply
      // (1500 ms). The timer starts when attempt 1 leaves the client, a little before it
      // arrives, so the arrival gap may be shorter than 400 ms by attempt 1's transit:
      // 100 ms is allowed for that on a loaded machine.
      const gap = (second?.arrivedAtMono ?? 0) - (first?.arrivedAtMono ?? 0);
      expect(gap).toBeGreaterThanOrEqual(300);
      expect(gap).toBeLessThan(1500);
    },
  },
  {
    name: 'reply slower than timeoutMs on every attempt',
    timeoutMs: 400,
    plan: () => (req) => ({ ...ok(executionFor(req)), delayMs: 1500 }),
    attempts: ALL_ATTEMPTS,
    check: (outcome, ctx) => {
      expectThrown(DollrTimeoutError, ALL_ATTEMPTS)(outcome, ctx);
      expect((outcome as { error: Error }).error.message).toContain('timed out after 400 ms');
    },
  },
  {
    name: '429 with Retry-After: 1, then 200',
    plan: () => (req, nth) => (nth === 0 ? status(429, { detail: 'slow down' }, { 'retry-after': '1' }) : ok(executionFor(req))),
    attempts: 2,
    check: (outcome, ctx) => {
      expectSuccess(outcome, ctx);
      const [first, second] = ctx.server.on(PAYOUT_PATH);
      const waited = (second?.arrivedAtMono ?? 0) - (first?.arrivedAtMono ?? 0);
      // The client starts waiting only after the 429 reached it, so the gap between the
      // two arrivals is at least the full second (2 ms slack for ms timer rounding).
      expect(waited).toBeGreaterThanOrEqual(998);
      expect(waited).toBeLessThan(10_000);
    },
  },
  {
    name: '429 with Retry-After as an HTTP-date, then 200',
    plan: (ctx) => (req, nth) => {
      if (nth > 0) return ok(executionFor(req));
      ctx.notes.retryAt = httpDateAhead();
      return status(429, { detail: 'slow down' }, { 'retry-after': new Date(ctx.notes.retryAt).toUTCString() });
    },
    attempts: 2,
    check: (outcome, ctx) => {
      expectSuccess(outcome, ctx);
      const second = ctx.server.on(PAYOUT_PATH)[1];
      const retryAt = ctx.notes.retryAt ?? Number.NaN;
      // Not before the date the server named (2 ms slack: wall clock vs timer rounding).
      expect(second?.arrivedAt).toBeGreaterThanOrEqual(retryAt - 2);
      expect(second?.arrivedAt).toBeLessThan(retryAt + 10_000);
    },
  },
  {
    name: '429 with Retry-After above maxRetryAfterMs (never retried sooner than asked)',
    plan: () => () => status(429, { detail: 'slow down' }, { 'retry-after': '3600' }),
    attempts: 1,
    check: (outcome, ctx) => {
      const result = expectApiFailure(429, 1)(outcome, ctx);
      if (result instanceof DollrApiError) expect(result.headers.get('retry-after')).toBe('3600');
    },
  },
  {
    name: '422 (never retried)',
    plan: () => () => status(422, fail422),
    attempts: 1,
    check: (outcome, ctx) => {
      const result = expectApiFailure(422, 1)(outcome, ctx);
      if (result instanceof DollrApiError) {
        expect(result.issues).toEqual([
          { path: 'body.passcode.token.phone', message: 'String should match pattern', type: 'string_pattern_mismatch' },
        ]);
        expect(result.message).toContain('body.passcode.token.phone: String should match pattern');
      } else {
        // Raw POST hands back the server's body minus FastAPI's echo of the submitted values.
        const { input: _echo, ...issue } = fail422.detail[0] ?? {};
        expect(result.error).toEqual({ detail: [issue] });
        expect(JSON.stringify(result.error)).not.toContain(PASSCODE_CODE);
      }
    },
  },
  {
    name: '401 then 200 (client credentials: one refresh, one retry)',
    auth: 'credentials',
    plan: (ctx) => (req, nth) =>
      nth === 0 || !ctx.server.isValidBearer(req.headers)
        ? status(401, { detail: 'Could not validate credentials' })
        : ok(executionFor(req)),
    attempts: 2,
    check: (outcome, ctx) => {
      expectSuccess(outcome, ctx);
      const tokens = ctx.server.on(TOKEN_PATH);
      expect(tokens).toHaveLength(2);
      expect(ctx.server.grants).toHaveLength(2);
      const [first, second] = ctx.server.on(PAYOUT_PATH);
      expect(first?.headers.authorization).toBe(`Bearer ${ctx.server.grants[0]?.access_token}`);
      expect(second?.headers.authorization).toBe(`Bearer ${ctx.server.grants[1]?.access_token}`);
    },
  },
  {
    name: '401 on every attempt (client credentials)',
    auth: 'credentials',
    plan: () => () => status(401, { detail: 'Could not validate credentials' }),
    attempts: 2,
    check: (outcome, ctx) => {
      const result = expectApiFailure(401, 2)(outcome, ctx);
      if (result instanceof DollrApiError) expect(result.message).toContain('Could not validate credentials');
      expect(ctx.server.on(TOKEN_PATH)).toHaveLength(2);
    },
  },
];

const errors = createErrorCollector();
const server = useFaultServer();

describe.each<Via>(['payout()', 'raw POST'])('fault matrix via %s', (via) => {
  it.each(cases)('$name', async (fault) => {
    const ctx: Context = { via, server: server(), referenceId: newReferenceId(), notes: {} };
    server().plan = fault.plan(ctx);
    const client = makeClient(server().url, fault.auth ?? 'static', fault.timeoutMs ? { timeoutMs: fault.timeoutMs } : {});

    let sent: PayoutRequest;
    let call: Promise<unknown>;
    if (via === 'payout()') {
      const input: PayoutInput = { sessionId: 42, payoutAccountId: 18, referenceId: ctx.referenceId, passcode: passcode() };
      sent = expectedBody(input);
      call = client.payout(input);
    } else {
      sent = { session_id: '42', payout_account_id: '18', reference_id: ctx.referenceId, passcode: passcode() };
      call = client.POST('/v1/executions/payout', { body: sent });
    }
    const outcome: Outcome = await call.then(
      (value) => ({ threw: false as const, value }),
      (error: unknown) => ({ threw: true as const, error: errors.add(error) }),
    );

    const attempts = server().on(PAYOUT_PATH);
    expect(attempts).toHaveLength(fault.attempts);
    // Byte-identical on every attempt: exactly the JSON of the body the caller built.
    const expectedBytes = Buffer.from(JSON.stringify(sent), 'utf8');
    for (const attempt of attempts) {
      expect(attempt.method).toBe('POST');
      expect(attempt.body.equals(expectedBytes)).toBe(true);
      expect(referenceIdOf(attempt)).toBe(ctx.referenceId);
      expect(attempt.headers['content-type']).toMatch(/^application\/json/);
      expect(attempt.headers.authorization).toMatch(/^Bearer tok-SECRET-/);
    }
    if (fault.processed) expect(attempts.map((a) => a.processed)).toEqual(fault.processed);
    fault.check(outcome, ctx);
  });
});

describe('errors from the fault matrix', () => {
  it('carry no passcode code, client secret or token in any rendering', () => {
    // payout(): 500, reset x3, timeout x3, 422, 401 = 5; raw POST: reset x3, timeout x3 = 2.
    expectNoSecrets(errors.errors, 7);
  });
});
