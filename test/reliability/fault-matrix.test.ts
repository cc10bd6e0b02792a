// Fault matrix: Dollr's recovery rule under every fault, for each of the four kinds, through
// `client.execute(kind, body)`, `client.payout()` (payout only) and raw `client.POST`, against
// the project's sandbox (startSandbox: records executions by reference_id, answers status
// lookups, 404 for unknown ids, 422 for a reused reference_id), faults injected per row.
//
// Each row states the exchange the client saw, in order (`POST 503`, `GET 404`, ...: execution
// POSTs and status lookups with what each got), checked against the sandbox's request log (the
// same requests in the same order, the same answers); how many executions the sandbox recorded
// for the reference_id (never more than one); how many POSTs arrived after it had landed (0,
// except where the row landed it before the call); and the result on each surface. Every
// execution POST must carry the byte-identical body the caller built (a recording `fetch`).
//
// Rows that only wait on real time (a timeout, a Retry-After) run on a few targets: which action
// follows which outcome is a pure decision, covered row by row by test/client/decide.test.ts
// (docs/recovery.md's table); the socket row proves the wait and the exchange for its kind of fault.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DollrApiError, DollrConnectionError, DollrTimeoutError, newReferenceId } from '../../src/index.js';
import type { DollrClient, ExecutionBody, ExecutionKind } from '../../src/index.js';
import type { Sandbox, SandboxRequest } from '../../src/testing/index.js';
import {
  KINDS,
  TOKEN_PATH,
  bodyFor,
  executionPath,
  payoutInputFor,
  prepare,
  recorder,
  sandboxClient,
  startDollr,
  statusPath,
} from './helpers/dollr-sandbox.js';
import type { Kind, Prepared, Recorder, Sent } from './helpers/dollr-sandbox.js';
import { refuseFirst } from './helpers/refused-port.js';
import { PASSCODE_CODE, createErrorCollector, expectNoSecrets, renderings } from './helpers/secrets.js';

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
  sandbox: Sandbox;
  prepared: Prepared;
  referenceId: string;
  postPath: `/v1/executions/${Kind}`;
  lookupPath: `/v1/status/${Kind}/${string}`;
  /** The client's side of the exchange. */
  recorded: Recorder;
  /** Values a row's setup chose that the checks need (e.g. a Retry-After date). */
  notes: Record<string, number>;
  /** True when the row's setup landed the reference_id before the call. */
  landedBefore?: boolean;
}

type Expected =
  /** Resolves with the ExecutionResponse the sandbox answers for this reference_id. */
  | { resolves: true }
  /** execute()/payout() throw DollrApiError with this status; raw POST returns `{ error, response }`. */
  | { api: number }
  /** Every surface throws this connection error. */
  | { thrown: typeof DollrConnectionError | typeof DollrTimeoutError; processed: false | 'unknown' };

interface Row {
  name: string;
  timeoutMs?: number;
  /** Injects this row's faults (and lands a reused id). */
  setup: (ctx: Context) => void | Promise<void>;
  /** Execution POSTs and status lookups in order, with what the client got ('reset', '-' for its own timeout). */
  exchange: string[];
  /** Executions the sandbox recorded for the reference_id (never more than 1). */
  processed: 0 | 1;
  /** POSTs that arrived after the reference_id had landed (refused as duplicates). Default 0. */
  duplicates?: number;
  expected: Expected;
  check?: (outcome: Outcome, ctx: Context) => void;
  /** Limit the row to some targets (rows that wait on real time). Default: every target. */
  only?: Target[];
  /** Run on the sandbox whose executions settle at once (for a FAILED outcome). Default: they stay PENDING. */
  settled?: boolean;
}

const MAX_RETRIES = 2;
const TIMEOUT_MS = 600;
const SLOW_MS = 2_000;
/** Enough for every retry of a row: faults that must hit every attempt. */
const ALWAYS = 10;
/** The client's lookup budget per call: a lookup fault that hits every lookup of the call, and not the check after it. */
const LOOKUPS = 3;

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

const onPost = (ctx: Context, fault: Parameters<Sandbox['inject']>[0]['fault'], times = 1): void =>
  ctx.sandbox.inject({ method: 'POST', path: ctx.postPath, fault, times });
const onLookup = (ctx: Context, fault: Parameters<Sandbox['inject']>[0]['fault'], times = 1): void =>
  ctx.sandbox.inject({ method: 'GET', path: ctx.lookupPath, fault, times });

const rows: Row[] = [
  {
    name: 'processed, then the connection resets: looked up, found, not re-sent',
    setup: (ctx) => onPost(ctx, 'reset-after'),
    exchange: ['POST reset', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'processed, then 503: looked up, found, not re-sent',
    setup: (ctx) => onPost(ctx, { status: 503, processed: true }),
    exchange: ['POST 503', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'processed, then the answer is slower than timeoutMs: looked up after the timeout, found',
    only: [
      { kind: 'payout', surface: 'execute()' },
      { kind: 'collection', surface: 'raw POST' },
    ],
    timeoutMs: TIMEOUT_MS,
    setup: (ctx) => onPost(ctx, { delayMs: SLOW_MS }),
    exchange: ['POST -', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { recorded, postPath, lookupPath }) => {
      const post = recorded.sent.find((r) => r.path === postPath);
      const lookup = recorded.sent.find((r) => r.path === lookupPath);
      // The lookup followed the per-attempt timeout (TIMEOUT_MS), not the slow reply (SLOW_MS).
      const gap = (lookup?.at ?? 0) - (post?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(gap).toBeLessThan(SLOW_MS);
    },
  },
  {
    name: 'processed, then reset; the lookup says FAILED: resolves with FAILED (an outcome), not re-sent',
    settled: true,
    setup: (ctx) => {
      ctx.sandbox.setOutcome(ctx.referenceId, { status: 'FAILED', message: 'Insufficient balance in the merchant wallet' });
      onPost(ctx, 'reset-after');
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
    setup: (ctx) => onPost(ctx, 'reset-before'),
    exchange: ['POST reset', 'GET 404', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: '503 before processing: status 404, then one identical re-send',
    setup: (ctx) => onPost(ctx, { status: 503, body: { detail: 'unavailable' } }),
    exchange: ['POST 503', 'GET 404', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'lookup answering 503 once, then found',
    setup: (ctx) => {
      onPost(ctx, 'reset-after');
      onLookup(ctx, { status: 503 });
    },
    exchange: ['POST reset', 'GET 503', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'lookup connection reset once, then found',
    setup: (ctx) => {
      onPost(ctx, { status: 502, processed: true });
      onLookup(ctx, 'reset-before');
    },
    exchange: ['POST 502', 'GET reset', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
  },
  {
    name: 'lookup answering 429 with Retry-After: 1: looked up again no sooner, then found',
    only: [
      { kind: 'payout', surface: 'payout()' },
      { kind: 'refund', surface: 'execute()' },
    ],
    setup: (ctx) => {
      onPost(ctx, 'reset-after');
      onLookup(ctx, { status: 429, retryAfter: 1 });
    },
    exchange: ['POST reset', 'GET 429', 'GET 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { recorded, lookupPath }) => {
      const [first, second] = recorded.sent.filter((r) => r.path === lookupPath);
      // The client starts waiting once the 429 reached it, after it left: the full second between sends.
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(998);
    },
  },
  {
    name: 'landed, but the status lookup lagged (404): the re-send is refused as a duplicate, looked up again, found',
    setup: (ctx) => {
      onPost(ctx, { status: 504, processed: true });
      onLookup(ctx, { status: 404, body: { detail: 'Not Found' } });
    },
    exchange: ['POST 504', 'GET 404', 'POST 422', 'GET 200'],
    processed: 1,
    duplicates: 1,
    expected: { resolves: true },
  },
  {
    name: 'budget spent: processed, then every lookup fails (outcome unknown)',
    setup: (ctx) => {
      onPost(ctx, 'reset-after', ALWAYS);
      onLookup(ctx, { status: 503 }, LOOKUPS);
    },
    exchange: ['POST reset', 'GET 503', 'GET 503', 'GET 503'],
    processed: 1,
    expected: { thrown: DollrConnectionError, processed: 'unknown' },
  },
  {
    name: 'budget spent: processed, then the POST and every lookup time out (outcome unknown)',
    only: [
      { kind: 'transfer', surface: 'execute()' },
      { kind: 'payout', surface: 'raw POST' },
    ],
    timeoutMs: TIMEOUT_MS,
    setup: (ctx) => {
      onPost(ctx, { delayMs: SLOW_MS }, ALWAYS);
      onLookup(ctx, { delayMs: SLOW_MS }, LOOKUPS);
    },
    exchange: ['POST -', 'GET -', 'GET -', 'GET -'],
    processed: 1,
    expected: { thrown: DollrTimeoutError, processed: 'unknown' },
  },
  {
    name: 'budget spent: never landed, 503 before processing on every attempt',
    setup: (ctx) => onPost(ctx, { status: 503 }, ALWAYS),
    exchange: ['POST 503', 'GET 404', 'POST 503', 'GET 404', 'POST 503', 'GET 404'],
    processed: 0,
    expected: { api: 503 },
  },
  {
    name: 'one budget for every re-send: a 429, then 503s before processing (404 each time) spend maxRetries: 2',
    setup: (ctx) => {
      onPost(ctx, { status: 429, retryAfter: 0 });
      onPost(ctx, { status: 503 }, ALWAYS);
    },
    exchange: ['POST 429', 'POST 503', 'GET 404', 'POST 503', 'GET 404'],
    processed: 0,
    expected: { api: 503 },
  },
  {
    name: 'budget spent: never landed, reset before processing on every attempt',
    setup: (ctx) => onPost(ctx, 'reset-before', ALWAYS),
    exchange: ['POST reset', 'GET 404', 'POST reset', 'GET 404', 'POST reset', 'GET 404'],
    processed: 0,
    // Issue 15 rule 5: a reset is an unknown outcome, and 404 lookups do not prove it cannot
    // still land, so `'unknown'`.
    expected: { thrown: DollrConnectionError, processed: 'unknown' },
  },
  {
    name: 'first attempt refused 422 on reference_id (reused id): final, no lookup',
    setup: async (ctx) => {
      // An earlier call landed this reference_id (its session is spent: the reuse is refused on
      // the id first); the row's call is the reuse.
      const earlier = sandboxClient(ctx.sandbox, { maxRetries: 0 });
      await earlier.execute(ctx.kind, bodyFor(ctx.prepared, ctx.referenceId) as ExecutionBody<typeof ctx.kind>);
      ctx.landedBefore = true;
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
    setup: (ctx) => onPost(ctx, { status: 422, body: validation422 }, ALWAYS),
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
    // The request id on a 403 (`x-request-id`, for a support ticket) is checked in
    // test/client/client.test.ts and test/client/errors.test.ts: a sandbox `{ status }` fault sends no extra headers.
    name: '403 (merchant not fully verified): final, no lookup',
    setup: (ctx) => onPost(ctx, { status: 403, body: { detail: 'Merchant account is not fully verified' } }, ALWAYS),
    exchange: ['POST 403'],
    processed: 0,
    expected: { api: 403 },
    check: (outcome, ctx) => {
      if (!isRaw(ctx.surface)) expect((outcome as { error: Error }).error.message).toContain('Merchant account is not fully verified');
    },
  },
  {
    name: '429 with Retry-After: 1: re-sent no sooner, no lookup',
    only: [
      { kind: 'collection', surface: 'execute()' },
      { kind: 'refund', surface: 'raw POST' },
    ],
    setup: (ctx) => onPost(ctx, { status: 429, retryAfter: 1 }),
    exchange: ['POST 429', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { recorded, postPath }) => {
      const [first, second] = recorded.sent.filter((r) => r.path === postPath);
      // The client starts waiting only once the 429 reached it: at least the full second
      // between sends (2 ms slack for timer rounding).
      const waited = (second?.at ?? 0) - (first?.at ?? 0);
      expect(waited).toBeGreaterThanOrEqual(998);
      expect(waited).toBeLessThan(10_000);
    },
  },
  {
    name: '429 with Retry-After as an HTTP-date: re-sent no sooner than that date',
    only: [
      { kind: 'payout', surface: 'payout()' },
      { kind: 'transfer', surface: 'raw POST + middleware' },
    ],
    setup: (ctx) => {
      ctx.notes.retryAt = httpDateAhead();
      onPost(ctx, { status: 429, retryAfter: new Date(ctx.notes.retryAt).toUTCString() });
    },
    exchange: ['POST 429', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { recorded, postPath, notes }) => {
      const second = recorded.sent.filter((r) => r.path === postPath)[1];
      const retryAt = notes.retryAt ?? Number.NaN;
      // Not sent before the date the server named (2 ms slack: wall clock vs timer rounding).
      expect(second?.atWall).toBeGreaterThanOrEqual(retryAt - 2);
      expect(second?.atWall).toBeLessThan(retryAt + 10_000);
    },
  },
  {
    name: '429 with Retry-After above maxRetryAfterMs: handed back, never re-sent sooner than asked',
    setup: (ctx) => onPost(ctx, { status: 429, retryAfter: 3600 }, ALWAYS),
    exchange: ['POST 429'],
    processed: 0,
    expected: { api: 429 },
    check: (outcome, ctx) => {
      if (!isRaw(ctx.surface)) expect((outcome as { error: DollrApiError }).error.headers.get('retry-after')).toBe('3600');
    },
  },
  {
    name: '401 then 200 (client credentials: one token renewal, one re-send, no lookup)',
    setup: (ctx) => onPost(ctx, { status: 401, body: { detail: 'Could not validate credentials' } }),
    exchange: ['POST 401', 'POST 200'],
    processed: 1,
    expected: { resolves: true },
    check: (_outcome, { recorded, postPath }) => {
      expect(recorded.sent.filter((r) => r.path === TOKEN_PATH)).toHaveLength(2);
      expect(recorded.tokens).toHaveLength(2);
      expect(recorded.tokens[0]).not.toBe(recorded.tokens[1]);
      const [first, second] = recorded.sent.filter((r) => r.path === postPath);
      expect(first?.headers.get('authorization')).toBe(`Bearer ${recorded.tokens[0]}`);
      expect(second?.headers.get('authorization')).toBe(`Bearer ${recorded.tokens[1]}`);
    },
  },
  {
    name: '401 on every attempt (client credentials): one renewal, then the 401 is final',
    setup: (ctx) => onPost(ctx, { status: 401, body: { detail: 'Could not validate credentials' } }, ALWAYS),
    exchange: ['POST 401', 'POST 401'],
    processed: 0,
    expected: { api: 401 },
    check: (outcome, ctx) => {
      if (!isRaw(ctx.surface)) expect((outcome as { error: Error }).error.message).toContain('Could not validate credentials');
      expect(ctx.recorded.sent.filter((r) => r.path === TOKEN_PATH)).toHaveLength(2);
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

const runsOn = (row: Row, target: Target): boolean =>
  row.only === undefined || row.only.some((t) => t.kind === target.kind && t.surface === target.surface);

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
function call(client: DollrClient, ctx: Context): { sent: unknown; promise: Promise<unknown> } {
  const { kind, surface, prepared, referenceId } = ctx;
  const body = bodyFor(prepared, referenceId) as ExecutionBody<typeof kind>;
  if (surface === 'payout()') {
    // payout() sends the same bytes as the payout body built by hand (ids as strings, documented key order).
    return { sent: body, promise: client.payout(payoutInputFor(prepared, referenceId)) };
  }
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
  if (surface === 'request()') return { sent: body, promise: client.request('POST', '/v1/executions/payout', { body: body as ExecutionBody<'payout'> }) };
  return { sent: body, promise: surface === 'raw POST' ? rawPost(client, kind, body) : client.execute(kind, body) };
}

function checkResult(expected: Expected, outcome: Outcome, ctx: Context, posts: number, answered: unknown): void {
  if ('resolves' in expected) {
    if (outcome.threw) throw new Error(`expected a result, got ${String(outcome.error)}`);
    expect(answered).toMatchObject({ reference_id: ctx.referenceId, operation_type: ctx.kind.toUpperCase() });
    if (isRaw(ctx.surface)) {
      const raw = outcome.value as RawResult;
      expect(raw.error).toBeUndefined();
      expect(raw.response.status).toBe(200);
      expect(raw.data).toEqual(answered);
    } else {
      expect(outcome.value).toEqual(answered);
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

/** A request-log label that processes the request (the execution lands even if the answer is lost). */
const processingFault = (fault: string | null): boolean =>
  fault !== null && (fault === 'reset-after' || fault.endsWith(' processed') || fault.startsWith('delay') || fault === 'stall' || fault === 'truncate' || fault.startsWith('drip'));

/** The client's view `POST 503` / `GET reset` / `POST -` of one request. */
function label(sent: Sent, ctx: Context): string {
  const what = sent.path === ctx.postPath && sent.method === 'POST' ? 'POST' : sent.path === ctx.lookupPath && sent.method === 'GET' ? 'GET' : `${sent.method} ${sent.path}`;
  return `${what} ${sent.got ?? '?'}`;
}

/** The sandbox saw the same requests, in the same order, and answered what the client got. */
function checkLog(log: SandboxRequest[], sent: Sent[]): void {
  expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(sent.map((r) => `${r.method} ${r.path}`));
  log.forEach((entry, i) => {
    const got = sent[i]?.got;
    if (typeof got === 'number') expect(entry.status).toBe(got);
    else if (got === 'reset') expect(entry.status).toBeNull();
    // The client gave up first: the sandbox was still holding the answer back.
    else expect(entry.fault).toMatch(/^delay/);
  });
}

const errors = createErrorCollector();
/** Every token the sandbox issued to a client of this file: none may show in an error. */
const issuedTokens: string[] = [];
// Executions stay PENDING for the file's duration, so a 200 answer and a later lookup agree;
// `settled` settles them at once, so an outcome set with setOutcome shows on the first lookup.
let sandbox: Sandbox;
let settled: Sandbox;
let setupClient: DollrClient;
let settledClient: DollrClient;

beforeAll(async () => {
  [sandbox, settled] = await Promise.all([startDollr({ settleAfterMs: 600_000 }), startDollr({ settleAfterMs: 0 })]);
  setupClient = sandboxClient(sandbox);
  settledClient = sandboxClient(settled);
});
afterAll(() => Promise.all([sandbox.close(), settled.close()]));
beforeEach(() => {
  sandbox.reset();
  settled.reset();
});

async function newContext(target: Target, useSettled = false): Promise<Context> {
  const on = useSettled ? settled : sandbox;
  const prepared = await prepare(useSettled ? settledClient : setupClient, target.kind);
  const referenceId = newReferenceId();
  return {
    ...target,
    sandbox: on,
    prepared,
    referenceId,
    postPath: executionPath(target.kind),
    lookupPath: statusPath(target.kind, referenceId),
    recorded: recorder(),
    notes: {},
  };
}

describe.each(targets)('fault matrix: $kind via $surface', (target) => {
  for (const row of rows.filter((r) => runsOn(r, target))) it(row.name, async () => {
    const ctx = await newContext(target, row.settled);
    const { sandbox: on } = ctx;
    await row.setup(ctx);
    const mark = on.requests().length;
    const client = sandboxClient(on, {
      maxRetries: MAX_RETRIES,
      fetch: ctx.recorded.fetch,
      ...(row.timeoutMs !== undefined && { timeoutMs: row.timeoutMs }),
    });
    const { sent, promise } = call(client, ctx);
    const outcome: Outcome = await promise.then(
      (value) => ({ threw: false as const, value }),
      (error: unknown) => ({ threw: true as const, error: errors.add(error) }),
    );
    issuedTokens.push(...ctx.recorded.tokens);

    // Nothing but this execution's POSTs and its own status lookups, in the row's order: as the
    // client saw them, and as the sandbox logged them.
    const seen = ctx.recorded.sent.filter((r) => r.path !== TOKEN_PATH);
    expect(seen.map((r) => label(r, ctx))).toEqual(row.exchange);
    const log = on.requests().slice(mark);
    checkLog(log.filter((r) => r.path !== TOKEN_PATH), seen);
    expect(log.filter((r) => r.path === TOKEN_PATH)).toHaveLength(ctx.recorded.sent.filter((r) => r.path === TOKEN_PATH).length);
    // A reset-before cuts the request before its body is read: no reference_id to log.
    for (const entry of log.filter((r) => r.path !== TOKEN_PATH)) expect(entry.referenceId).toBe(entry.fault === 'reset-before' ? null : ctx.referenceId);

    // Every execution POST carried exactly the bytes the caller built: re-sends are byte-identical.
    const expectedBytes = Buffer.from(JSON.stringify(sent), 'utf8');
    const posts = seen.filter((r) => r.path === ctx.postPath);
    for (const post of posts) {
      expect(post.body.equals(expectedBytes)).toBe(true);
      expect(post.headers.get('content-type')).toMatch(/^application\/json/);
      expect(ctx.recorded.tokens.map((t) => `Bearer ${t}`)).toContain(post.headers.get('authorization'));
      if (target.surface === 'raw POST + middleware') expect(post.headers.get('x-trace')).toBe('matrix');
    }
    for (const lookup of seen.filter((r) => r.path === ctx.lookupPath)) {
      expect(lookup.body.length).toBe(0);
      expect(ctx.recorded.tokens.map((t) => `Bearer ${t}`)).toContain(lookup.headers.get('authorization'));
    }

    // The sandbox recorded this reference_id at most once, and nothing was re-sent after it landed.
    const recorded = on.executions().filter((e) => e.referenceId === ctx.referenceId);
    expect(recorded).toHaveLength(row.processed);
    const postLog = log.filter((r) => r.path === ctx.postPath);
    const landedAt = ctx.landedBefore ? -1 : postLog.findIndex((r) => (r.fault === null && r.status === 200) || processingFault(r.fault));
    const afterLanding = landedAt === -1 && !ctx.landedBefore ? [] : postLog.slice(landedAt + 1);
    expect(afterLanding).toHaveLength(row.duplicates ?? 0);
    for (const duplicate of afterLanding) expect(duplicate.status).toBe(422);
    if (recorded[0]) {
      // Sends: every POST with the id that passed authentication and validation (a reset-before cuts it first).
      expect(recorded[0].sends).toBe((ctx.landedBefore ? 1 : 0) + postLog.filter((r) => r.fault !== 'reset-before').length);
    }

    const answered = row.processed === 1 ? await (row.settled ? settledClient : setupClient).getExecution(ctx.kind, ctx.referenceId) : null;
    checkResult(row.expected, outcome, ctx, posts.length, answered);
    row.check?.(outcome, ctx);
  });
});

describe('per-call RequestOptions on execute(), payout() and getExecution()', () => {
  const answers = (r: Recorder) => r.sent.filter((s) => s.path !== TOKEN_PATH).map((s) => `${s.method} ${s.got ?? '-'}`);

  it('maxRetries: 0 on the call: never landed after a 503, not re-sent, DollrApiError 503', async () => {
    const ctx = await newContext({ kind: 'transfer', surface: 'execute()' });
    onPost(ctx, { status: 503 }, ALWAYS);
    const body = bodyFor(ctx.prepared, ctx.referenceId) as ExecutionBody<'transfer'>;
    const error = await errors.rejection(sandboxClient(sandbox, { fetch: ctx.recorded.fetch }).execute('transfer', body, { maxRetries: 0 }));
    issuedTokens.push(...ctx.recorded.tokens);
    expect(answers(ctx.recorded)).toEqual(['POST 503', 'GET 404']);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect((error as DollrApiError).attempts).toBe(1);
    expect((error as DollrApiError).referenceId).toBe(body.reference_id);
    expect(sandbox.executions()).toEqual([]);
  });

  it('timeoutMs on the call: processed, answer too slow, looked up after the per-call timeout and found', async () => {
    const ctx = await newContext({ kind: 'payout', surface: 'payout()' });
    onPost(ctx, { delayMs: SLOW_MS });
    const client = sandboxClient(sandbox, { timeoutMs: 10_000, fetch: ctx.recorded.fetch });
    const result = await client.payout(payoutInputFor(ctx.prepared, ctx.referenceId), { timeoutMs: TIMEOUT_MS });
    expect(result).toEqual(await setupClient.getExecution('payout', ctx.referenceId));
    expect(answers(ctx.recorded)).toEqual(['POST -', 'GET 200']);
    const [post, lookup] = ctx.recorded.sent.filter((s) => s.path !== TOKEN_PATH);
    expect((lookup?.at ?? 0) - (post?.at ?? 0)).toBeLessThan(SLOW_MS);
    expect(sandbox.executions().filter((e) => e.referenceId === ctx.referenceId)).toHaveLength(1);
  });

  it('signal on the call: aborting while the status lookup is pending rejects with the reason, never re-sent', async () => {
    const ctx = await newContext({ kind: 'refund', surface: 'execute()' });
    onPost(ctx, 'reset-after');
    onLookup(ctx, { delayMs: 5_000 });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const body = bodyFor(ctx.prepared, ctx.referenceId) as ExecutionBody<'refund'>;
    const pending = sandboxClient(sandbox, { fetch: ctx.recorded.fetch }).execute('refund', body, { signal: controller.signal });
    const lookups = (): SandboxRequest[] => sandbox.requests().filter((r) => r.method === 'GET' && r.referenceId === ctx.referenceId);
    for (let i = 0; i < 200 && lookups().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(sandbox.requests().filter((r) => r.method === 'POST' && r.path === ctx.postPath)).toHaveLength(1);
    expect(lookups()).toHaveLength(1);
    expect(sandbox.executions().filter((e) => e.referenceId === ctx.referenceId)).toHaveLength(1);
  });

  it('getExecution: the recorded execution, null when not found, a 503 retried by default but not with maxRetries: 0', async () => {
    const ctx = await newContext({ kind: 'collection', surface: 'execute()' }, true);
    const landed = ctx.referenceId;
    const sent = await settledClient.execute('collection', bodyFor(ctx.prepared, landed) as ExecutionBody<'collection'>);
    const rec = recorder();
    const client = sandboxClient(settled, { fetch: rec.fetch });
    await expect(client.getExecution('collection', landed)).resolves.toEqual({ ...sent, status: 'COMPLETED', provider_transaction_id: expect.any(String) as unknown, gateway_message: 'Successful' });
    await expect(client.getExecution('collection', newReferenceId())).resolves.toBeNull();
    // Kinds do not mix: the collection is not a payout.
    await expect(client.getExecution('payout', landed)).resolves.toBeNull();

    rec.sent.length = 0;
    onLookup(ctx, { status: 503 });
    await expect(client.getExecution('collection', landed)).resolves.toMatchObject({ status: 'COMPLETED' });
    expect(answers(rec)).toEqual(['GET 503', 'GET 200']);

    rec.sent.length = 0;
    onLookup(ctx, { status: 503 }, ALWAYS);
    const error = await errors.rejection(client.getExecution('collection', landed, { maxRetries: 0 }));
    issuedTokens.push(...rec.tokens);
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(503);
    expect(answers(rec)).toEqual(['GET 503']);
  });
});

describe('connection refused (the execution provably never left)', () => {
  it.each(KINDS)('%s: re-sent with the same bytes, without a lookup', async (kind) => {
    // The client's first execution POST is sent to a loopback port nobody listens on (a real
    // refusal from the OS); every other request goes to the sandbox, which must then receive
    // exactly one POST, and no status lookup.
    const ctx = await newContext({ kind, surface: 'execute()' });
    const refused = await refuseFirst('POST', ctx.postPath);
    const client = sandboxClient(sandbox, { backoff: { initialDelayMs: 20, maxDelayMs: 50 }, fetch: refused.fetch });
    const attempts = refused.attempts;
    const body = bodyFor(ctx.prepared, ctx.referenceId) as ExecutionBody<typeof kind>;
    const result = await client.execute(kind, body);
    expect(attempts.map((a) => a.refused)).toEqual([true, false]);
    for (const attempt of attempts) expect(attempt.body.equals(Buffer.from(JSON.stringify(body)))).toBe(true);
    const log = sandbox.requests().filter((r) => r.referenceId === ctx.referenceId);
    expect(log.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST ${executionPath(kind)} 200`]);
    const [execution] = sandbox.executions().filter((e) => e.referenceId === ctx.referenceId);
    expect(execution?.sends).toBe(1);
    expect(result).toEqual(await setupClient.getExecution(kind, ctx.referenceId));
  });
});

describe('errors from the fault matrix', () => {
  it('carry no passcode code, client secret or token in any rendering', () => {
    // Every row that throws on its surface: connection errors on every surface, API errors on
    // execute() and payout(); plus the 2 errors of the per-call tests.
    const throwing = targets.flatMap((target) =>
      rows.filter((row) => runsOn(row, target) && ('thrown' in row.expected || ('api' in row.expected && !isRaw(target.surface)))),
    );
    expectNoSecrets(errors.errors, throwing.length + 2);
    expect(issuedTokens.length).toBeGreaterThan(0);
    const leaks = errors.errors.flatMap((error, i) =>
      Object.entries(renderings(error)).flatMap(([how, text]) => issuedTokens.filter((t) => text.includes(t)).map(() => `error #${i} leaks a token via ${how}`)),
    );
    expect(leaks).toEqual([]);
  });
});
