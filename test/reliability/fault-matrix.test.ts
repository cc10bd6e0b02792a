// Fault matrix: Dollr's recovery rule under every fault, for each of the four kinds, through
// `client.execute(kind, body)`, `client.payout()` (payout only) and raw `client.POST`, against
// a loopback server that behaves like Dollr (helpers/fault-server.ts: records executions by
// reference_id, answers status lookups, 404 for unknown ids, 422 for a reused reference_id).
//
// Each row states the exchange the server must see, in order (`POST 503`, `GET 404`, ...:
// execution POSTs and status lookups with what each was answered), how many times the server
// processed the reference_id (never more than once), how many POSTs arrived after it had
// landed (0, except where the row seeds a reused id), and the result on each surface. Every
// execution POST must carry the byte-identical body the caller built.
import { describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrTimeoutError, newReferenceId } from '../../src/index.js';
import type { DollrClient, ExecutionBody, ExecutionKind, PayoutInput } from '../../src/index.js';
import {
  KINDS,
  RESET_AFTER,
  RESET_BEFORE,
  TOKEN_PATH,
  executionPath,
  processedLate,
  processedThen,
  startFaultServer,
  status,
  statusPath,
  useFaultServer,
} from './helpers/fault-server.js';
import type { FaultServer, Kind } from './helpers/fault-server.js';
import { executionBody, expectedBody, makeClient, passcode } from './helpers/fixtures.js';
import { refusedThenOpened } from './helpers/refused-port.js';
import type { AuthKind } from './helpers/fixtures.js';
import { PASSCODE_CODE, createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

type Surface = 'execute()' | 'payout()' | 'raw POST' | 'request()' | 'raw POST + middleware';

interface Target {
  kind: Kind;
  surface: Surface;
}

/** What the call produced: a value (an ExecutionResponse, or openapi-fetch's `{ data, error, response }`) or a throw. */
type Outcome = { threw: false; value: unknown } | { threw: true; error: unknown };

interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

interface Context extends Target {
  server: FaultServer;
  referenceId: string;
  /** Values a plan chose that the checks need (e.g. a Retry-After date). */
  notes: Record<string, number>;
}

type Expected =
  /** Resolves with the ExecutionResponse the server recorded for this reference_id. */
  | { resolves: true }
  /** execute()/payout() throw DollrApiError with this status; raw POST returns `{ error, response }`. */
  | { api: number }
  /** Every surface throws this connection error. */
  | { thrown: typeof DollrConnectionError | typeof DollrTimeoutError; processed: false | 'unknown' };

interface Row {
  name: string;
  auth?: AuthKind;
  timeoutMs?: number;
  /** Sets the plans (and seeds) for this row. */
  setup: (ctx: Context) => void;
  /** Execution POSTs and status lookups in arrival order, with the answer each got ('reset', '-' for none). */
  exchange: string[];
  /** Times the server processed the reference_id (never more than 1). */
  processed: 0 | 1;
  /** POSTs refused because the reference_id had already landed. Default 0. */
  duplicates?: number;
  expected: Expected;
  check?: (outcome: Outcome, ctx: Context) => void;
  /** Limit the row to some surfaces (slow rows). Default: all. */
  surfaces?: Surface[];
}

const MAX_RETRIES = 2;
const TIMEOUT_MS = 600;
const SLOW_MS = 2_000;

/** A whole second 1 to 2 s ahead, as an HTTP-date (IMF-fixdate). */
const httpDateAhead = (): number => Math.ceil(Date.now() / 1000) * 1000 + 1000;

const validation422 = {
  detail: [
    {
      loc: ['body', 'session_id'],
      msg: 'Value error, session not found',
      type: 'value_error',
      // FastAPI echoes the submitted value: for a payout, the passcode code is in it.
      input: { session_id: '42', passcode: { token: { code: PASSCODE_CODE } } },
    },
  ],
};

const rows: Row[] = [
  {
    name: 'processed, then the connection resets: looked up, found, not re-sent',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? RESET_AFTER : undefined);
    },
    exchange: ['POST reset', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'processed, then 503: looked up, found, not re-sent',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? processedThen(503, { detail: 'unavailable' }) : undefined);
    },
    exchange: ['POST 503', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'processed, then the answer is slower than timeoutMs: looked up after the timeout, found',
    timeoutMs: TIMEOUT_MS,
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? processedLate(SLOW_MS) : undefined);
    },
    exchange: ['POST -', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { server, kind, referenceId }) => {
      const [post] = server.on(executionPath(kind));
      const [lookup] = server.on(statusPath(kind, referenceId));
      // The lookup followed the per-attempt timeout (TIMEOUT_MS), not the slow reply (SLOW_MS). The
      // timer starts when the POST leaves the client, a little before it arrives: 100 ms slack.
      const gap = (lookup?.arrivedAtMono ?? 0) - (post?.arrivedAtMono ?? 0);
      expect(gap).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(gap).toBeLessThan(SLOW_MS);
    },
  },
  {
    name: 'processed, then reset; the lookup says FAILED: resolves with FAILED (an outcome), not re-sent',
    setup: ({ server, referenceId }) => {
      server.plan = (_req, nth) => (nth === 0 ? RESET_AFTER : undefined);
      server.lookupPlan = () => {
        const recorded = server.executions.get(referenceId);
        if (recorded) Object.assign(recorded.response, { status: 'FAILED', wallet_message: 'Insufficient balance in the merchant wallet' });
        return undefined;
      };
    },
    exchange: ['POST reset', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
    check: (outcome, ctx) => {
      const value = isRaw(ctx.surface) ? (outcome as { value: RawResult }).value.data : (outcome as { value: unknown }).value;
      expect(value).toMatchObject({ reference_id: ctx.referenceId, status: 'FAILED' });
    },
  },
  {
    name: 'reset before processing: status 404, then one identical re-send',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? RESET_BEFORE : undefined);
    },
    exchange: ['POST reset', 'GET 404', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: '503 before processing: status 404, then one identical re-send',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? status(503, { detail: 'unavailable' }) : undefined);
    },
    exchange: ['POST 503', 'GET 404', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'lookup answering 503 once, then found',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? RESET_AFTER : undefined);
      server.lookupPlan = (_req, nth) => (nth === 0 ? status(503, { detail: 'unavailable' }) : undefined);
    },
    exchange: ['POST reset', 'GET 503', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'lookup connection reset once, then found',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? processedThen(502, { detail: 'bad gateway' }) : undefined);
      server.lookupPlan = (_req, nth) => (nth === 0 ? RESET_BEFORE : undefined);
    },
    exchange: ['POST 502', 'GET reset', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'lookup answering 429 with Retry-After: 1: looked up again no sooner, then found',
    surfaces: ['execute()', 'payout()'],
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? RESET_AFTER : undefined);
      server.lookupPlan = (_req, nth) => (nth === 0 ? status(429, { detail: 'slow down' }, { 'retry-after': '1' }) : undefined);
    },
    exchange: ['POST reset', 'GET 429', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { server, kind, referenceId }) => {
      const [first, second] = server.on(statusPath(kind, referenceId));
      expect((second?.arrivedAtMono ?? 0) - (first?.arrivedAtMono ?? 0)).toBeGreaterThanOrEqual(998);
    },
  },
  {
    name: 'landed, but the status lookup lagged (404): the re-send is refused as a duplicate, looked up again, found',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? processedThen(504, { detail: 'gateway timeout' }) : undefined);
      server.lookupPlan = (_req, nth) => (nth === 0 ? status(404, { detail: 'Not Found' }) : undefined);
    },
    exchange: ['POST 504', 'GET 404', 'POST 422', 'GET 200'],
    processed: 1,
    duplicates: 1,
    expected: { resolves: true },
  },
  {
    name: 'budget spent: processed, then every lookup fails (outcome unknown)',
    setup: ({ server }) => {
      server.plan = () => RESET_AFTER;
      server.lookupPlan = () => status(503, { detail: 'unavailable' });
    },
    exchange: ['POST reset', 'GET 503', 'GET 503', 'GET 503'],
    processed: 1,
    expected: { thrown: DollrConnectionError, processed: 'unknown' },
  },
  {
    name: 'budget spent: processed, then the POST and every lookup time out (outcome unknown)',
    timeoutMs: TIMEOUT_MS,
    setup: ({ server }) => {
      server.plan = () => processedLate(SLOW_MS);
      server.lookupPlan = () => ({ kind: 'process', delayMs: SLOW_MS });
    },
    exchange: ['POST -', 'GET -', 'GET -', 'GET -'],
    processed: 1,
    expected: { thrown: DollrTimeoutError, processed: 'unknown' },
  },
  {
    name: 'budget spent: never landed, 503 before processing on every attempt',
    setup: ({ server }) => {
      server.plan = () => status(503, { detail: 'unavailable' });
    },
    exchange: ['POST 503', 'GET 404', 'POST 503', 'GET 404', 'POST 503', 'GET 404'],
    processed: 0,
    expected: { api: 503 },
  },
  {
    name: 'one budget for every re-send: a 429, then 503s before processing (404 each time) spend maxRetries: 2',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? status(429, { detail: 'slow down' }, { 'retry-after': '0' }) : status(503, { detail: 'unavailable' }));
    },
    exchange: ['POST 429', 'POST 503', 'GET 404', 'POST 503', 'GET 404'],
    processed: 0,
    expected: { api: 503 },
  },
  {
    name: 'budget spent: never landed, reset before processing on every attempt',
    setup: ({ server }) => {
      server.plan = () => RESET_BEFORE;
    },
    exchange: ['POST reset', 'GET 404', 'POST reset', 'GET 404', 'POST reset', 'GET 404'],
    processed: 0,
    // Issue 15 rule 5: a reset is an unknown outcome, and 404 lookups do not prove it cannot
    // still land, so `'unknown'` (this row said `false` before).
    expected: { thrown: DollrConnectionError, processed: 'unknown' },
  },
  {
    name: 'first attempt refused 422 on reference_id (reused id): final, no lookup',
    setup: ({ server, kind, referenceId }) => {
      server.seed(kind, referenceId, 'COMPLETED');
    },
    exchange: ['POST 422'],
    processed: 1,
    duplicates: 1,
    expected: { api: 422 },
    check: (outcome, ctx) => {
      if (isRaw(ctx.surface)) return;
      const error = (outcome as { error: DollrApiError }).error;
      expect(error.issues.map((i) => i.path)).toEqual(['body.reference_id']);
      // Says what it means and where to look, whatever the exact wording.
      expect(error.message).toContain(ctx.referenceId);
      expect(error.message).toMatch(/already used/);
      expect(error.message).toMatch(/getExecution/);
    },
  },
  {
    name: '422 validation error: final, no lookup',
    setup: ({ server }) => {
      server.plan = () => status(422, validation422);
    },
    exchange: ['POST 422'],
    processed: 0,
    expected: { api: 422 },
    check: (outcome, ctx) => {
      if (isRaw(ctx.surface)) {
        // Raw POST hands back the server's body minus FastAPI's echo of the submitted values.
        const { input: _echo, ...issue } = validation422.detail[0] ?? {};
        expect((outcome as { value: RawResult }).value.error).toEqual({ detail: [issue] });
        return;
      }
      const error = (outcome as { error: DollrApiError }).error;
      expect(error.issues).toEqual([{ path: 'body.session_id', message: 'Value error, session not found', type: 'value_error' }]);
      expect(error.message).toContain('body.session_id: Value error, session not found');
      expect(error.message).not.toContain('getExecution');
    },
  },
  {
    name: '403 (merchant not fully verified): final, no lookup',
    setup: ({ server }) => {
      server.plan = () => status(403, { detail: 'Merchant account is not fully verified' }, { 'x-request-id': 'req-403-7781' });
    },
    exchange: ['POST 403'],
    processed: 0,
    expected: { api: 403 },
    check: (outcome, ctx) => {
      if (!isRaw(ctx.surface)) {
        expect((outcome as { error: Error }).error.message).toContain('Merchant account is not fully verified');
        // The server's request id, for a support ticket.
        expect((outcome as { error: DollrApiError }).error.requestId).toBe('req-403-7781');
      }
    },
  },
  {
    name: '429 with Retry-After: 1: re-sent no sooner, no lookup',
    setup: ({ server }) => {
      server.plan = (_req, nth) => (nth === 0 ? status(429, { detail: 'slow down' }, { 'retry-after': '1' }) : undefined);
    },
    exchange: ['POST 429', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { server, kind }) => {
      const [first, second] = server.on(executionPath(kind));
      // The client starts waiting only once the 429 reached it: at least the full second
      // between arrivals (2 ms slack for timer rounding).
      const waited = (second?.arrivedAtMono ?? 0) - (first?.arrivedAtMono ?? 0);
      expect(waited).toBeGreaterThanOrEqual(998);
      expect(waited).toBeLessThan(10_000);
    },
  },
  {
    name: '429 with Retry-After as an HTTP-date: re-sent no sooner than that date',
    surfaces: ['payout()', 'raw POST', 'request()', 'raw POST + middleware'],
    setup: (ctx) => {
      ctx.server.plan = (_req, nth) => {
        if (nth > 0) return undefined;
        ctx.notes.retryAt = httpDateAhead();
        return status(429, { detail: 'slow down' }, { 'retry-after': new Date(ctx.notes.retryAt).toUTCString() });
      };
    },
    exchange: ['POST 429', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { server, kind, notes }) => {
      const second = server.on(executionPath(kind))[1];
      const retryAt = notes.retryAt ?? Number.NaN;
      // Not before the date the server named (2 ms slack: wall clock vs timer rounding).
      expect(second?.arrivedAt).toBeGreaterThanOrEqual(retryAt - 2);
      expect(second?.arrivedAt).toBeLessThan(retryAt + 10_000);
    },
  },
  {
    name: '429 with Retry-After above maxRetryAfterMs: handed back, never re-sent sooner than asked',
    setup: ({ server }) => {
      server.plan = () => status(429, { detail: 'slow down' }, { 'retry-after': '3600' });
    },
    exchange: ['POST 429'],
    processed: 0,
    expected: { api: 429 },
    check: (outcome, ctx) => {
      if (!isRaw(ctx.surface)) expect((outcome as { error: DollrApiError }).error.headers.get('retry-after')).toBe('3600');
    },
  },
  {
    name: '401 then 200 (client credentials: one token renewal, one re-send, no lookup)',
    auth: 'credentials',
    setup: ({ server }) => {
      server.plan = (req, nth) => (nth === 0 || !server.isValidBearer(req.headers) ? status(401, { detail: 'Could not validate credentials' }) : undefined);
    },
    exchange: ['POST 401', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { server, kind }) => {
      expect(server.on(TOKEN_PATH)).toHaveLength(2);
      const [first, second] = server.on(executionPath(kind));
      expect(first?.headers.authorization).toBe(`Bearer ${server.grants[0]?.access_token}`);
      expect(second?.headers.authorization).toBe(`Bearer ${server.grants[1]?.access_token}`);
    },
  },
  {
    name: '401 on every attempt (client credentials): one renewal, then the 401 is final',
    auth: 'credentials',
    setup: ({ server }) => {
      server.plan = () => status(401, { detail: 'Could not validate credentials' });
    },
    exchange: ['POST 401', 'POST 401'],
    processed: 0,
    expected: { api: 401 },
    check: (outcome, ctx) => {
      if (!isRaw(ctx.surface)) expect((outcome as { error: Error }).error.message).toContain('Could not validate credentials');
      expect(ctx.server.on(TOKEN_PATH)).toHaveLength(2);
    },
  },
];

const targets: Target[] = KINDS.flatMap((kind): Target[] => [
  { kind, surface: 'execute()' },
  ...(kind === 'payout' ? [{ kind, surface: 'payout()' as const }] : []),
  { kind, surface: 'raw POST' },
  // client.request('POST', ...) is the same guarded path as raw POST: checked on one kind.
  ...(kind === 'payout' ? [{ kind, surface: 'request()' as const }] : []),
  // Middleware that replaces the request with a real `Request` (the transport must re-send that
  // one's bytes): checked on one kind.
  ...(kind === 'transfer' ? [{ kind, surface: 'raw POST + middleware' as const }] : []),
]);

/** Surfaces that hand back openapi-fetch's `{ data, error, response }` instead of throwing on HTTP errors. */
const isRaw = (surface: Surface): boolean => surface === 'raw POST' || surface === 'request()' || surface === 'raw POST + middleware';

/** Raw `client.POST` of each kind's execution path, typed as the caller writes it. */
const rawPosts: { [K in ExecutionKind]: (client: DollrClient, body: ExecutionBody<K>) => Promise<RawResult> } = {
  collection: (client, body) => client.POST('/v1/executions/collection', { body }),
  payout: (client, body) => client.POST('/v1/executions/payout', { body }),
  transfer: (client, body) => client.POST('/v1/executions/transfer', { body }),
  refund: (client, body) => client.POST('/v1/executions/refund', { body }),
};

function rawPost<K extends ExecutionKind>(client: DollrClient, kind: K, body: ExecutionBody<K>): Promise<RawResult> {
  return (rawPosts[kind] as (client: DollrClient, body: ExecutionBody<K>) => Promise<RawResult>)(client, body);
}

/** Starts the call on `surface`; returns the promise and the exact body it sends. */
function call(client: DollrClient, { kind, surface }: Target, referenceId: string): { sent: unknown; promise: Promise<unknown> } {
  if (surface === 'payout()') {
    const input: PayoutInput = { sessionId: 42, payoutAccountId: 18, referenceId, passcode: passcode() };
    return { sent: expectedBody(input), promise: client.payout(input) };
  }
  const body = executionBody(kind, referenceId);
  if (surface === 'raw POST + middleware') {
    client.use({
      async onRequest({ request }) {
        const headers = new Headers(request.headers);
        headers.set('x-trace', 'matrix');
        return new Request(request.url, { method: request.method, headers, body: await request.text() });
      },
    });
    return { sent: body, promise: rawPost(client, kind, body) };
  }
  if (surface === 'request()') return { sent: body, promise: client.request('POST', '/v1/executions/payout', { body: executionBody('payout', referenceId) }) };
  return { sent: body, promise: surface === 'raw POST' ? rawPost(client, kind, body) : client.execute(kind, body) };
}

function checkResult(expected: Expected, outcome: Outcome, ctx: Context, posts: number): void {
  const recorded = ctx.server.executions.get(ctx.referenceId)?.response;
  if ('resolves' in expected) {
    if (outcome.threw) throw new Error(`expected a result, got ${String(outcome.error)}`);
    expect(recorded).toMatchObject({ reference_id: ctx.referenceId, operation_type: ctx.kind.toUpperCase() });
    if (isRaw(ctx.surface)) {
      const raw = outcome.value as RawResult;
      expect(raw.error).toBeUndefined();
      expect(raw.response.status).toBe(200);
      expect(raw.data).toEqual(recorded);
    } else {
      expect(outcome.value).toEqual(recorded);
    }
    return;
  }
  if ('api' in expected) {
    if (isRaw(ctx.surface)) {
      if (outcome.threw) throw new Error(`raw POST must not throw for HTTP ${expected.api}: ${String(outcome.error)}`);
      const raw = outcome.value as RawResult;
      expect(raw.data).toBeUndefined();
      expect(raw.response.status).toBe(expected.api);
      expect(raw.error).toBeDefined();
      return;
    }
    if (!outcome.threw) throw new Error(`expected DollrApiError ${expected.api}, got a value`);
    const error = outcome.error as DollrApiError;
    expect(error).toBeInstanceOf(DollrApiError);
    expect(error.status).toBe(expected.api);
    expect(error.referenceId).toBe(ctx.referenceId);
    expect(error.attempts).toBe(posts);
    return;
  }
  if (!outcome.threw) throw new Error(`expected ${expected.thrown.name}, got a value`);
  const error = outcome.error as DollrConnectionError;
  expect(error).toBeInstanceOf(expected.thrown);
  expect(error.referenceId).toBe(ctx.referenceId);
  expect(error.attempts).toBe(posts);
  expect(error.processed).toBe(expected.processed);
  expect(error.message).toContain(executionPath(ctx.kind));
  if (expected.processed === 'unknown') {
    expect(error.message).toContain('may have been processed');
    expect(error.message).toContain(`Look its status up (getExecution with reference_id ${ctx.referenceId})`);
    expect(error.message).toContain('before any new attempt');
  } else {
    expect(error.message).toMatch(/not processed: its status lookup found nothing/);
    expect(error.message).not.toContain('may have been processed');
  }
}

const errors = createErrorCollector();
const server = useFaultServer();

describe.each(targets)('fault matrix: $kind via $surface', (target) => {
  const applicable = rows.filter((row) => row.surfaces === undefined || row.surfaces.includes(target.surface));
  it.each(applicable)('$name', async (row) => {
    const ctx: Context = { ...target, server: server(), referenceId: newReferenceId(), notes: {} };
    row.setup(ctx);
    const client = makeClient(ctx.server.url, row.auth ?? 'static', {
      maxRetries: MAX_RETRIES,
      ...(row.timeoutMs !== undefined && { timeoutMs: row.timeoutMs }),
    });
    const { sent, promise } = call(client, target, ctx.referenceId);
    const outcome: Outcome = await promise.then(
      (value) => ({ threw: false as const, value }),
      (error: unknown) => ({ threw: true as const, error: errors.add(error) }),
    );

    const postPath = executionPath(ctx.kind);
    const lookupPath = statusPath(ctx.kind, ctx.referenceId);
    const seen = ctx.server.requests.filter((r) => r.path !== TOKEN_PATH);
    // Nothing but this execution's POSTs and its own status lookups, in the row's order.
    expect(seen.map((r) => `${r.path === postPath ? 'POST' : r.path === lookupPath ? 'GET' : r.path} ${r.answered ?? '-'}`)).toEqual(row.exchange);
    expect(seen.map((r) => r.method)).toEqual(row.exchange.map((e) => e.split(' ')[0]));

    // Every execution POST carried exactly the bytes the caller built: re-sends are byte-identical.
    const expectedBytes = Buffer.from(JSON.stringify(sent), 'utf8');
    const posts = ctx.server.on(postPath);
    for (const post of posts) {
      expect(post.body.equals(expectedBytes)).toBe(true);
      expect(post.headers['content-type']).toMatch(/^application\/json/);
      expect(post.headers.authorization).toMatch(/^Bearer tok-SECRET-/);
      if (target.surface === 'raw POST + middleware') expect(post.headers['x-trace']).toBe('matrix');
    }
    for (const lookup of ctx.server.on(lookupPath)) {
      expect(lookup.body.length).toBe(0);
      expect(lookup.headers.authorization).toMatch(/^Bearer tok-SECRET-/);
    }

    // The server processed this reference_id at most once, and nothing was re-sent after it landed.
    expect(ctx.server.processedCount(ctx.referenceId)).toBe(row.processed);
    expect(ctx.server.processedCount(ctx.referenceId)).toBeLessThanOrEqual(1);
    expect(ctx.server.duplicates.get(ctx.referenceId) ?? 0).toBe(row.duplicates ?? 0);

    checkResult(row.expected, outcome, ctx, posts.length);
    row.check?.(outcome, ctx);
  });
});

describe('per-call RequestOptions on execute(), payout() and getExecution()', () => {
  const answers = (s: FaultServer) => s.requests.map((r) => `${r.method} ${r.answered ?? '-'}`);

  it('maxRetries: 0 on the call: never landed after a 503, not re-sent, DollrApiError 503', async () => {
    const s = server();
    s.plan = () => status(503, { detail: 'unavailable' });
    const body = executionBody('transfer');
    const error = await errors.rejection(makeClient(s.url).execute('transfer', body, { maxRetries: 0 }));
    expect(answers(s)).toEqual(['POST 503', 'GET 404']);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect((error as DollrApiError).attempts).toBe(1);
    expect((error as DollrApiError).referenceId).toBe(body.reference_id);
    expect(s.processedCount(body.reference_id)).toBe(0);
  });

  it('timeoutMs on the call: processed, answer too slow, looked up after the per-call timeout and found', async () => {
    const s = server();
    s.plan = () => processedLate(SLOW_MS);
    const input: PayoutInput = { sessionId: 42, payoutAccountId: 18, referenceId: newReferenceId(), passcode: passcode() };
    const result = await makeClient(s.url, 'static', { timeoutMs: 10_000 }).payout(input, { timeoutMs: TIMEOUT_MS });
    expect(result).toEqual(s.executions.get(input.referenceId)?.response);
    const [post, lookup] = s.requests;
    expect(answers(s)).toEqual(['POST -', 'GET 200']);
    expect((lookup?.arrivedAtMono ?? 0) - (post?.arrivedAtMono ?? 0)).toBeLessThan(SLOW_MS);
    expect(s.processedCount(input.referenceId)).toBe(1);
  });

  it('signal on the call: aborting while the status lookup is pending rejects with the reason, never re-sent', async () => {
    const s = server();
    s.plan = () => RESET_AFTER;
    s.lookupPlan = () => processedLate(5_000);
    const body = executionBody('refund');
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const pending = makeClient(s.url).execute('refund', body, { signal: controller.signal });
    for (let i = 0; i < 200 && s.on(statusPath('refund', body.reference_id)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(s.on(executionPath('refund'))).toHaveLength(1);
    expect(s.on(statusPath('refund', body.reference_id))).toHaveLength(1);
    expect(s.processedCount(body.reference_id)).toBe(1);
  });

  it('getExecution: the recorded execution, null when not found, a 503 retried by default but not with maxRetries: 0', async () => {
    const s = server();
    const client = makeClient(s.url);
    const landed = newReferenceId();
    const recorded = s.seed('collection', landed, 'PROCESSING');
    await expect(client.getExecution('collection', landed)).resolves.toEqual(recorded.response);
    await expect(client.getExecution('collection', newReferenceId())).resolves.toBeNull();
    // Kinds do not mix: the collection is not a payout.
    await expect(client.getExecution('payout', landed)).resolves.toBeNull();

    s.reset();
    s.seed('collection', landed, 'COMPLETED');
    s.lookupPlan = (_req, nth) => (nth === 0 ? status(503, { detail: 'unavailable' }) : undefined);
    await expect(client.getExecution('collection', landed)).resolves.toMatchObject({ status: 'COMPLETED' });
    expect(answers(s)).toEqual(['GET 503', 'GET 200']);

    s.reset();
    s.seed('collection', landed, 'COMPLETED');
    s.lookupPlan = () => status(503, { detail: 'unavailable' });
    const error = await errors.rejection(client.getExecution('collection', landed, { maxRetries: 0 }));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect(answers(s)).toEqual(['GET 503']);
  });
});

describe('connection refused (the execution provably never left)', () => {
  it.each(KINDS)('%s: re-sent with the same bytes, without a lookup, once the server is up', async (kind) => {
    // Attempt 1 meets a closed port; a fault server opened on that port after the refusal
    // must then receive exactly one POST, and no status lookup.
    const refused = await refusedThenOpened(startFaultServer);
    const client = makeClient(refused.url, 'static', { fetch: refused.fetch, backoff: { initialDelayMs: 20, maxDelayMs: 50 } });
    const body = executionBody(kind);
    try {
      const result = await client.execute(kind, body);
      const late = await refused.opened();
      if (!late) throw new Error('the first attempt was not refused');
      expect(refused.calls).toBe(2);
      expect(late.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${executionPath(kind)}`]);
      expect(late.requests[0]?.body.equals(Buffer.from(JSON.stringify(body)))).toBe(true);
      expect(late.processedCount(body.reference_id)).toBe(1);
      expect(result).toEqual(late.executions.get(body.reference_id)?.response);
    } finally {
      await (await refused.opened())?.close();
    }
  });
});

describe('errors from the fault matrix', () => {
  it('carry no passcode code, client secret or token in any rendering', () => {
    // Per kind: execute() throws in 3 connection-error rows + 7 API-error rows, raw POST in the
    // 3 connection-error rows; payout() as execute().
    // Plus request() and middleware as raw POST, and the 2 errors of the per-call tests.
    expectNoSecrets(errors.errors, KINDS.length * (10 + 3) + 10 + 3 + 3 + 2);
  });
});
