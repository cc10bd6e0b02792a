// Hostile networks (issue 15): the client against servers, proxies and gateways that no server
// claiming to be Dollr would be: redirects (cross-origin, to plain http, same-origin loops),
// headers followed by a stalled or dripping body, bodies that are not what money depends on,
// a late landing, abusive Retry-After during reconciliation, a stalled token endpoint, and
// middleware that replaces or wraps what it is given. Real loopback sockets
// (helpers/hostile-server.ts, a raw node:http server for exactly these behaviours).
//
// Every row asserts: the requests each origin received (never more execution POSTs than the
// rule allows, nothing at a redirect target), the settle time against the deadline (generous
// bounds: deadline + slack), the error class and `processed`, and (at the end of the file)
// that no secret appears in any error view or log line.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDollrClient, DollrApiError, DollrConnectionError, DollrError, DollrTimeoutError, DollrWaitTimeoutError, newReferenceId } from '../../src/index.js';
import type { DollrClient, DollrClientOptions, Logger } from '../../src/index.js';
import { drip, execution, json, redirect, referenceOf, silence, stall, startHostileServer, text, truncate } from './helpers/hostile-server.js';
import type { Handler, HostileServer, Seen } from './helpers/hostile-server.js';
import { TOKEN_PATH } from './helpers/dollr-sandbox.js';
import { TOKEN_PREFIX } from './helpers/secrets.js';
import { payoutInput } from './helpers/fixtures.js';
import { CLIENT_ID, CLIENT_SECRET, SECRETS, STATIC_TOKEN, createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

const PAYOUT = '/v1/executions/payout';
const STATUS = '/v1/status/payout/';
const FEES = '/v1/fees/tiers';
/** Slack on every settle-time bound: the machine is shared and loaded. Bounds are never tight. */
const SLACK_MS = 1_500;
const DEADLINE_MS = 300;
const BACKOFF = { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 };

const errors = createErrorCollector();
const logLines: string[] = [];
const logger: Logger = {
  debug: (line: string) => logLines.push(line),
  info: (line: string) => logLines.push(line),
  warn: (line: string) => logLines.push(line),
  error: (line: string) => logLines.push(line),
};

let api: HostileServer;
let elsewhere: HostileServer;
let tokens = 0;

beforeEach(async () => {
  api = await startHostileServer();
  elsewhere = await startHostileServer();
  elsewhere.handle((_req, res) => json(res, 200, { detail: 'a redirect target must never be reached' }));
  tokens = 0;
});

afterEach(async () => {
  await Promise.all([api.close(), elsewhere.close()]);
});

function client(options: Partial<DollrClientOptions> & { credentials?: boolean } = {}): DollrClient {
  const { credentials, ...rest } = options;
  return createDollrClient({
    baseUrl: api.url,
    auth: credentials ? { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } : STATIC_TOKEN,
    maxRetries: 0,
    timeoutMs: DEADLINE_MS,
    backoff: BACKOFF,
    logger,
    logLevel: 'debug',
    ...rest,
  });
}

/** Answers the token endpoint with a fresh token, everything else with `rest`. */
function withTokens(rest: Handler): Handler {
  return (req, res, index) => {
    if (req.path === TOKEN_PATH) return json(res, 200, { access_token: `${TOKEN_PREFIX}${++tokens}-issued`, expires_in: 60 });
    return rest(req, res, index);
  };
}

const posts = (server: HostileServer): Seen[] => server.requests.filter((r) => r.method === 'POST' && r.path === PAYOUT);
const lookups = (server: HostileServer): Seen[] => server.requests.filter((r) => r.method === 'GET' && r.path.startsWith(STATUS));
const tokenRequests = (server: HostileServer): Seen[] => server.requests.filter((r) => r.path === TOKEN_PATH);

/** Runs `promise`, records a rejection in the collector, and measures how long it took to settle. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = Date.now();
  try {
    const value = await promise;
    return { value, ms: Date.now() - started };
  } catch (error) {
    errors.add(error);
    return { error, ms: Date.now() - started };
  }
}

// ---- Redirects ------------------------------------------------------------------------------

type Surface = 'execution' | 'lookup' | 'reconciliation lookup' | 'plain GET' | 'token request';
const SURFACES: Surface[] = ['execution', 'lookup', 'reconciliation lookup', 'plain GET', 'token request'];
const REDIRECTS = [301, 302, 303, 307, 308];
type Target = 'cross-origin' | 'plain http' | 'same-origin loop';
const TARGETS: Target[] = ['cross-origin', 'plain http', 'same-origin loop'];

function targetOf(target: Target, path: string): string {
  if (target === 'cross-origin') return `${elsewhere.url}${path}`;
  // http: to another origin (a host name, not the IP the client was given).
  if (target === 'plain http') return `http://localhost:${elsewhere.port}${path}`;
  return `${api.url}${path}`;
}

describe('redirects are never followed: a 3xx is a final, typed answer', () => {
  for (const surface of SURFACES) {
    for (const status of REDIRECTS) {
      for (const target of TARGETS) {
        it(`${surface}: ${status} ${target}`, async () => {
          const input = payoutInput();
          const id = input.referenceId;
          api.handle(
            withTokens((req, res) => {
              const hop = targetOf(target, req.path);
              if (surface === 'token request') throw new Error('unreachable');
              if (surface === 'execution' && req.method === 'POST') return redirect(res, status, hop);
              if (surface === 'reconciliation lookup' && req.method === 'POST') return json(res, 503, { detail: 'busy' });
              if ((surface === 'lookup' || surface === 'reconciliation lookup') && req.path.startsWith(STATUS)) return redirect(res, status, hop);
              if (surface === 'plain GET' && req.path === FEES) return redirect(res, status, hop);
              return json(res, 404, { detail: 'Not Found' });
            }),
          );
          if (surface === 'token request') {
            api.handle((req, res) => (req.path === TOKEN_PATH ? redirect(res, status, targetOf(target, req.path)) : json(res, 200, [])));
          }
          const c = client({ credentials: surface === 'token request', maxRetries: surface === 'reconciliation lookup' ? 2 : 0 });
          const run: Promise<unknown> =
            surface === 'execution' || surface === 'reconciliation lookup'
              ? c.payout(input)
              : surface === 'lookup'
                ? c.getExecution('payout', id)
                : c.GET(FEES as never);
          const { value, error, ms } = await settle(run);

          expect(elsewhere.requests).toHaveLength(0);
          expect(ms).toBeLessThan(DEADLINE_MS * 4 + SLACK_MS);
          const expectedOrigin = target === 'plain http' ? `http://localhost:${elsewhere.port}` : target === 'cross-origin' ? elsewhere.origin : api.origin;
          if (surface === 'plain GET') {
            // Raw calls hand non-2xx answers back as openapi-fetch does: the 3xx, with our words.
            const { error: body, response } = value as unknown as { error: { detail: string }; response: Response };
            expect(response.status).toBe(status);
            expect(body.detail).toContain(expectedOrigin);
            expect(body.detail).toMatch(/not followed/);
            expect(api.requests.filter((r) => r.path === FEES)).toHaveLength(1);
            return;
          }
          expect(error).toBeInstanceOf(DollrApiError);
          const apiError = error as DollrApiError;
          if (surface === 'reconciliation lookup') {
            // The POST's 503 is the answer; three lookups were redirected, none followed.
            expect(apiError.status).toBe(503);
            expect(apiError.processed).toBe('unknown');
            expect(posts(api)).toHaveLength(1);
            expect(lookups(api)).toHaveLength(3);
            return;
          }
          expect(apiError.status).toBe(status);
          expect(apiError.message).toContain(expectedOrigin);
          expect(apiError.message).toMatch(/a redirect to \S+ is not followed: set baseUrl to the final address/);
          if (surface === 'execution') {
            expect(apiError.processed).toBe(false);
            expect(posts(api)).toHaveLength(1);
            expect(lookups(api)).toHaveLength(0);
          } else if (surface === 'lookup') {
            expect(lookups(api)).toHaveLength(1);
          } else {
            expect(apiError.message).toMatch(/^Obtaining an access token failed/);
            expect(tokenRequests(api)).toHaveLength(1);
            expect(api.requests).toHaveLength(1);
          }
        });
      }
    }
  }
});

// ---- Stalled and dripping bodies --------------------------------------------------------------

type Slow = 'headers then stall' | 'byte drip';
const SLOW: Slow[] = ['headers then stall', 'byte drip'];
const slowly = (how: Slow, res: Parameters<Handler>[1]): void => (how === 'headers then stall' ? stall(res) : drip(res, 100));

describe('one deadline per attempt, to the last byte of the body', () => {
  for (const how of SLOW) {
    it(`execution, ${how}: looked up once, never re-sent, fails processed unknown within the deadline`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? slowly(how, res) : json(res, 404, { detail: 'Not Found' })));
      const { error, ms } = await settle(client().payout(payoutInput()));
      expect(error).toBeInstanceOf(DollrTimeoutError);
      expect((error as DollrTimeoutError).processed).toBe('unknown');
      expect(posts(api)).toHaveLength(1);
      expect(lookups(api)).toHaveLength(1);
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
      expect(ms).toBeLessThan(DEADLINE_MS * 2 + SLACK_MS);
    });

    it(`getExecution, ${how}: DollrTimeoutError within the deadline`, async () => {
      api.handle((_req, res) => slowly(how, res));
      const { error, ms } = await settle(client().getExecution('payout', newReferenceId()));
      expect(error).toBeInstanceOf(DollrTimeoutError);
      expect(lookups(api)).toHaveLength(1);
      expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });

    it(`reconciliation lookup, ${how}: three lookups, each within its deadline, then processed unknown`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? json(res, 503, { detail: 'busy' }) : slowly(how, res)));
      const { error, ms } = await settle(client({ maxRetries: 2 }).payout(payoutInput()));
      expect(error).toBeInstanceOf(DollrApiError);
      expect((error as DollrApiError).status).toBe(503);
      expect((error as DollrApiError).processed).toBe('unknown');
      expect(posts(api)).toHaveLength(1);
      expect(lookups(api)).toHaveLength(3);
      expect(ms).toBeLessThan(DEADLINE_MS * 3 + SLACK_MS);
    });

    it(`plain GET, ${how}: DollrTimeoutError within the deadline`, async () => {
      api.handle((_req, res) => slowly(how, res));
      const { error, ms } = await settle(client().GET(FEES as never));
      expect(error).toBeInstanceOf(DollrTimeoutError);
      expect(api.requests).toHaveLength(1);
      expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });

    it(`token request, ${how}: the waiting call fails typed within the deadline, nothing else sent`, async () => {
      api.handle((req, res) => (req.path === TOKEN_PATH ? slowly(how, res) : json(res, 200, [])));
      const { error, ms } = await settle(client({ credentials: true }).payout(payoutInput()));
      expect(error).toBeInstanceOf(DollrTimeoutError);
      expect((error as DollrTimeoutError).processed).toBe(false);
      expect(posts(api)).toHaveLength(0);
      expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    });

    it(`waitForExecution, ${how}: never outlives maxWaitMs by more than one deadline`, async () => {
      api.handle((_req, res) => slowly(how, res));
      const maxWaitMs = 500;
      const { error, ms } = await settle(client().waitForExecution('payout', newReferenceId(), { maxWaitMs, pollIntervalMs: 50 }));
      expect(error).toBeInstanceOf(DollrWaitTimeoutError);
      expect(ms).toBeLessThan(maxWaitMs + DEADLINE_MS + SLACK_MS);
    });
  }

  it('the caller signal aborts body reading too', async () => {
    api.handle((_req, res) => stall(res));
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 100);
    const { error, ms } = await settle(client({ timeoutMs: 10_000 }).getExecution('payout', newReferenceId(), { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(ms).toBeLessThan(100 + SLACK_MS);
  });
});

// ---- Bodies money depends on -----------------------------------------------------------------

type BadBody = 'non-JSON' | 'truncated' | 'null' | '{}' | 'wrong reference_id';
const BAD: BadBody[] = ['non-JSON', 'truncated', 'null', '{}', 'wrong reference_id'];

function answerBadly(kind: BadBody, res: Parameters<Handler>[1]): void {
  if (kind === 'non-JSON') return text(res, 200, 'ok');
  if (kind === 'truncated') return truncate(res);
  if (kind === 'null') return text(res, 200, 'null');
  if (kind === '{}') return json(res, 200, {});
  return json(res, 200, execution(newReferenceId(), 'COMPLETED'));
}

describe('2xx bodies of executions and lookups are checked', () => {
  for (const kind of BAD) {
    it(`execution answered 200 with a ${kind} body: looked up, re-sent only after a 404, never returned as a value`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? answerBadly(kind, res) : json(res, 404, { detail: 'Not Found' })));
      const { value, error } = await settle(client({ maxRetries: 1 }).payout(payoutInput()));
      expect(value).toBeUndefined();
      expect(error).toBeInstanceOf(kind === 'truncated' ? DollrConnectionError : DollrApiError);
      expect((error as DollrApiError).processed).toBe('unknown');
      // POST, lookup 404, re-send (the one retry), lookup 404: never more POSTs than 1 + maxRetries.
      expect(api.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'POST', 'GET']);
    });

    it(`execution answered 200 with a ${kind} body, the lookup finds it: resolves with the looked-up execution`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? answerBadly(kind, res) : json(res, 200, execution(referenceOf(req), 'COMPLETED'))));
      const input = payoutInput();
      const { value } = await settle(client({ maxRetries: 2 }).payout(input));
      expect(value).toMatchObject({ reference_id: input.referenceId, status: 'COMPLETED' });
      expect(posts(api)).toHaveLength(1);
      expect(lookups(api)).toHaveLength(1);
    });

    it(`reconciliation lookup answered 200 with a ${kind} body: counts as failed, never as landed, never re-sent`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? json(res, 503, { detail: 'busy' }) : answerBadly(kind, res)));
      const { error } = await settle(client({ maxRetries: 2 }).payout(payoutInput()));
      expect(error).toBeInstanceOf(DollrApiError);
      expect((error as DollrApiError).processed).toBe('unknown');
      expect(posts(api)).toHaveLength(1);
      expect(lookups(api)).toHaveLength(3);
    });

    it(`getExecution answered 200 with a ${kind} body: a typed error, never null`, async () => {
      api.handle((_req, res) => answerBadly(kind, res));
      const { value, error } = await settle(client().getExecution('payout', newReferenceId()));
      expect(value).toBeUndefined();
      expect(error).toBeInstanceOf(DollrError);
      expect(error).toBeInstanceOf(kind === 'truncated' ? DollrConnectionError : DollrApiError);
    });
  }

  it('getExecution returns null for a 404 only', async () => {
    api.handle((_req, res) => json(res, 404, { detail: 'Not Found' }));
    expect(await client().getExecution('payout', newReferenceId())).toBeNull();
  });

  it('a body above 8 MiB is refused typed, without reading the rest', async () => {
    api.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(150 * 1024 * 1024) });
      res.write('[');
    });
    const { error, ms } = await settle(client({ timeoutMs: 5_000 }).GET(FEES as never));
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect((error as DollrConnectionError).code).toBe('EBODYTOOLARGE');
    expect(ms).toBeLessThan(SLACK_MS);
  });
});

// ---- Late landing ------------------------------------------------------------------------------

describe('processed tells the truth', () => {
  it('an execution that lands after the client timed out: processed unknown, never false; getExecution finds it later', async () => {
    const LAND_AFTER_MS = 600;
    let landedAt: number | undefined;
    let processedCount = 0;
    api.handle((req, res) => {
      if (req.method === 'POST') {
        // Processes the first POST late and never answers any (the answer is lost).
        if (processedCount === 0) {
          processedCount++;
          setTimeout(() => (landedAt = Date.now()), LAND_AFTER_MS);
        }
        return silence(res);
      }
      if (landedAt !== undefined) return json(res, 200, execution(referenceOf(req), 'COMPLETED'));
      return json(res, 404, { detail: 'Not Found' });
    });
    const input = payoutInput();
    const c = client({ timeoutMs: 150, maxRetries: 2 });
    const { value, error } = await settle(c.payout(input));
    // Either a lookup saw it land (resolved), or the budget ran out first: then 'unknown'.
    if (error !== undefined) {
      expect(error).toBeInstanceOf(DollrTimeoutError);
      expect((error as DollrTimeoutError).processed).toBe('unknown');
      expect((error as Error).message).toMatch(/late landing is possible/);
    } else {
      expect(value).toMatchObject({ reference_id: input.referenceId, status: 'COMPLETED' });
    }
    expect(posts(api).length).toBeLessThanOrEqual(3);
    expect(processedCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, LAND_AFTER_MS + 100));
    expect(await c.getExecution('payout', input.referenceId)).toMatchObject({ status: 'COMPLETED' });
  });

  it('a refused connection: processed false, the message names the origin', async () => {
    const port = api.port;
    await api.close();
    const { error } = await settle(createDollrClient({ baseUrl: `http://127.0.0.1:${port}`, auth: STATIC_TOKEN, maxRetries: 0, logger }).payout(payoutInput()));
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect((error as DollrConnectionError).processed).toBe(false);
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}`);
    api = await startHostileServer();
  });

  it('a port on fetch\'s blocked list: "not sent", the cause in words, processed false', async () => {
    const { error } = await settle(createDollrClient({ baseUrl: 'http://127.0.0.1:10080', auth: STATIC_TOKEN, maxRetries: 0, logger }).payout(payoutInput()));
    expect(error).toBeInstanceOf(DollrConnectionError);
    expect((error as DollrConnectionError).processed).toBe(false);
    expect((error as Error).message).toMatch(/blocked-port list/);
    expect((error as Error).message).toMatch(/not sent/);
  });
});

// ---- Retry-After during reconciliation ---------------------------------------------------------

describe('Retry-After is capped in reconciliation as on sends', () => {
  const cases: { name: string; header: Record<string, string>; lookups: number; maxMs: number }[] = [
    { name: 'huge (past 2^31 ms)', header: { 'retry-after': '99999999999' }, lookups: 1, maxMs: SLACK_MS },
    { name: 'over the cap (120 s, cap 1 s)', header: { 'retry-after': '120' }, lookups: 1, maxMs: SLACK_MS },
    { name: 'malformed', header: { 'retry-after': 'soon, maybe' }, lookups: 3, maxMs: SLACK_MS },
  ];
  for (const row of cases) {
    it(`lookup answered 429 with a ${row.name} Retry-After: stops promptly, processed unknown`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? json(res, 503, { detail: 'busy' }) : json(res, 429, { detail: 'slow down' }, row.header)));
      const { error, ms } = await settle(client({ maxRetries: 2 }).payout(payoutInput()));
      expect(error).toBeInstanceOf(DollrApiError);
      expect((error as DollrApiError).processed).toBe('unknown');
      expect(posts(api)).toHaveLength(1);
      expect(lookups(api)).toHaveLength(row.lookups);
      expect(ms).toBeLessThan(row.maxMs);
    });
  }

  it('a send answered 429 with a Retry-After within a huge cap waits (clamped), never overflows to an instant retry', async () => {
    api.handle((_req, res) => json(res, 429, { detail: 'slow down' }, { 'retry-after': '3000000' }));
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    setTimeout(() => controller.abort(reason), 300);
    const c = client({ maxRetries: 2, backoff: { ...BACKOFF, maxRetryAfterMs: 2 ** 33 } });
    const { error, ms } = await settle(c.payout(payoutInput(), { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(posts(api)).toHaveLength(1);
    expect(ms).toBeLessThan(300 + SLACK_MS);
  });

  it('a send answered 429 with a Retry-After over the cap hands the 429 back at once', async () => {
    api.handle((_req, res) => json(res, 429, { detail: 'slow down' }, { 'retry-after': '3000000' }));
    const { error, ms } = await settle(client({ maxRetries: 2 }).payout(payoutInput()));
    expect(error).toBeInstanceOf(DollrApiError);
    expect((error as DollrApiError).status).toBe(429);
    expect((error as DollrApiError).processed).toBe(false);
    expect(posts(api)).toHaveLength(1);
    expect(ms).toBeLessThan(SLACK_MS);
  });
});

// ---- Token endpoint --------------------------------------------------------------------------

/** The token endpoint stalls its first request, then issues fresh tokens; the API answers `[]`. */
function stallFirstTokenRequest(): void {
  let firstToken = true;
  api.handle((req, res) => {
    if (req.path === TOKEN_PATH) {
      if (firstToken) {
        firstToken = false;
        return stall(res);
      }
      return json(res, 200, { access_token: `${TOKEN_PREFIX}${++tokens}-fresh`, expires_in: 60 });
    }
    return json(res, 200, []);
  });
}

describe('a stalled, then healthy, token endpoint', () => {
  it('fails the waiting call within its deadline; the next call gets a fresh token', async () => {
    stallFirstTokenRequest();
    const c = client({ credentials: true });
    const first = await settle(c.GET(FEES as never));
    expect(first.error).toBeInstanceOf(DollrTimeoutError);
    expect((first.error as DollrTimeoutError).processed).toBe(false);
    expect(first.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(api.requests.filter((r) => r.path === FEES)).toHaveLength(0);
    const second = await settle(c.GET(FEES as never));
    expect(second.error).toBeUndefined();
    expect((second.value as { response: Response }).response.status).toBe(200);
    expect(tokenRequests(api)).toHaveLength(2);
    expect(api.requests.filter((r) => r.path === FEES)).toHaveLength(1);
  });
});

describe('a stalled token request that would be retried', () => {
  it('is abandoned when its waiter gives up: no orphan retries, the next call starts a fresh one', async () => {
    stallFirstTokenRequest();
    // maxRetries 2: the shared token request (a safe operation) would re-send after its timeout.
    const c = client({ credentials: true, maxRetries: 2 });
    const first = await settle(c.GET(FEES as never));
    expect(first.error).toBeInstanceOf(DollrTimeoutError);
    expect((first.error as DollrTimeoutError).processed).toBe(false);
    expect(first.ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
    // Nobody waits any more: the abandoned request sends nothing further (its backoff is 5-20 ms).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(tokenRequests(api)).toHaveLength(1);
    const startedAt = Date.now();
    const second = await settle(c.GET(FEES as never));
    expect(second.error).toBeUndefined();
    expect((second.value as { response: Response }).response.status).toBe(200);
    const fresh = tokenRequests(api);
    expect(fresh).toHaveLength(2);
    expect(fresh[1]!.at).toBeGreaterThanOrEqual(startedAt);
    expect(api.requests.filter((r) => r.path === FEES)).toHaveLength(1);
  });
});

// ---- Middleware -----------------------------------------------------------------------------

describe('middleware: replacing and wrapping, with per-call options and a 401 renewal', () => {
  /** Every header name a middleware could read, now and later (objects are kept). */
  function spy(c: DollrClient, mode: 'replace' | 'wrap' | 'both') {
    const kept: (Request | Response | { headers: Headers })[] = [];
    const seen: string[] = [];
    const note = (what: { headers: Headers }): void => {
      kept.push(what);
      for (const [name, value] of what.headers) seen.push(`${name}: ${value}`);
    };
    c.use({
      async onRequest({ request }) {
        note(request);
        if (mode === 'wrap') return undefined;
        const body = request.method === 'GET' ? undefined : await request.text();
        // A fresh Request: no signal, no per-call options on it.
        return new Request(request.url, { method: request.method, headers: request.headers, body });
      },
      onResponse({ request, response }) {
        note(request);
        note(response);
        if (mode === 'replace') return undefined;
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers: response.headers });
      },
    });
    const check = (): void => {
      for (const what of kept) for (const [name, value] of what.headers) seen.push(`${name}: ${value}`);
      expect(seen.filter((line) => /^authorization:/i.test(line) || SECRETS.some((s) => line.includes(s)))).toEqual([]);
      expect(seen.length).toBeGreaterThan(0);
    };
    return { check };
  }

  for (const mode of ['replace', 'wrap', 'both'] as const) {
    it(`${mode}: per-call timeoutMs survives (execute with timeoutMs: 200 against a client default of 5 s)`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? silence(res) : json(res, 404, { detail: 'Not Found' })));
      const c = client({ timeoutMs: 5_000 });
      const { check } = spy(c, mode);
      const { error, ms } = await settle(c.payout(payoutInput(), { timeoutMs: 200 }));
      expect(error).toBeInstanceOf(DollrTimeoutError);
      expect(ms).toBeLessThan(200 * 2 + SLACK_MS);
      expect(posts(api)).toHaveLength(1);
      check();
    });

    it(`${mode}: attempt counts survive (429, 429, then 422: attempts 3)`, async () => {
      api.handle((_req, res, i) => (i < 2 ? json(res, 429, { detail: 'slow' }, { 'retry-after': '0' }) : json(res, 422, { detail: [{ loc: ['body', 'session_id'], msg: 'session not found', type: 'value_error' }] })));
      const c = client({ maxRetries: 2 });
      const { check } = spy(c, mode);
      const { error } = await settle(c.payout(payoutInput()));
      expect(error).toBeInstanceOf(DollrApiError);
      expect((error as DollrApiError).status).toBe(422);
      expect((error as DollrApiError).attempts).toBe(3);
      expect((error as DollrApiError).processed).toBe(false);
      expect(posts(api)).toHaveLength(3);
      check();
    });

    it(`${mode}: a 401 renewal on an execution; middleware never sees Authorization`, async () => {
      api.handle(
        withTokens((req, res) => {
          if (req.method === 'POST' && req.headers.authorization === `Bearer ${TOKEN_PREFIX}1-issued`) return json(res, 401, { detail: 'Could not validate credentials' });
          if (req.method === 'POST') return json(res, 200, execution(referenceOf(req), 'PENDING'));
          return json(res, 404, { detail: 'Not Found' });
        }),
      );
      const c = client({ credentials: true, timeoutMs: 2_000 });
      const { check } = spy(c, mode);
      const input = payoutInput();
      const { value } = await settle(c.payout(input, { timeoutMs: 1_500 }));
      expect(value).toMatchObject({ reference_id: input.referenceId, status: 'PENDING' });
      expect(posts(api).map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN_PREFIX}1-issued`, `Bearer ${TOKEN_PREFIX}2-issued`]);
      expect(tokenRequests(api)).toHaveLength(2);
      check();
    });

    it(`${mode}: raw POST with maxRetries: 0 after a 503: looked up, not re-sent; middleware never sees Authorization`, async () => {
      api.handle((req, res) => (req.method === 'POST' ? json(res, 503, { detail: 'busy' }) : json(res, 404, { detail: 'Not Found' })));
      const c = client({ maxRetries: 2 });
      const { check } = spy(c, mode);
      const input = payoutInput();
      const body = { session_id: '42', payout_account_id: '18', reference_id: input.referenceId, passcode: input.passcode };
      const { value } = await settle(c.POST(PAYOUT, { body, maxRetries: 0 }));
      expect((value as { response: Response }).response.status).toBe(503);
      expect(posts(api)).toHaveLength(1);
      expect(lookups(api)).toHaveLength(1);
      check();
    });
  }
});

afterAll(() => {
  // Every error any row produced, in every rendering, and every log line: no secret.
  expectNoSecrets(errors.errors, 50);
  const leaking = logLines.filter((line) => SECRETS.some((secret) => line.includes(secret)) || /bearer/i.test(line));
  expect(leaking).toEqual([]);
  expect(logLines.length).toBeGreaterThan(50);
});
