/* global setTimeout, AbortController, fetch, URL, performance, Request, Headers */
/**
 * Runtime smoke suite for the built main entry (dist/index.js), in plain ESM with no test
 * framework and no Node import, so Node, Bun and Deno run it as is. It only runs the client:
 * `npm run test:runtimes` (scripts/runtimes/run.ts) starts the fake Dollr (startSandbox from
 * dollr-client/testing, the project's one fake Dollr, in the orchestrator's Node) and passes
 * its URL and this run's secrets in the environment:
 *
 *   DOLLR_SMOKE_URL            the sandbox; each check reads what reached it from its request
 *                              log (GET /_sandbox/requests) and injects faults (POST /_sandbox/inject)
 *   DOLLR_SMOKE_ECHO_URL       a server that refuses every bearer with a 401 echoing it (what no
 *                              Dollr-like server does; scripts/runtimes/server.ts)
 *   DOLLR_SMOKE_REFUSED_URL    a loopback URL where nothing listens
 *   DOLLR_SMOKE_TOKEN          a token the sandbox issued, used as a static bearer
 *   DOLLR_SMOKE_CLIENT_ID, DOLLR_SMOKE_CLIENT_SECRET, DOLLR_SMOKE_PASSCODE, DOLLR_SMOKE_PHONE
 *   DOLLR_SMOKE_ENTRY          optional: path of the entry to test (default ../../dist/index.js)
 *   DOLLR_SMOKE_TESTING        optional: path of dist/testing/index.js, checked where given (Node)
 *   DOLLR_SMOKE_WEB_ONLY=1     optional: delete Node's globals (Buffer, process, global,
 *                              setImmediate, clearImmediate) before importing the entry, as on
 *                              an edge runtime
 *
 * Prints `# runtime: <name> <version>`, one `ok - name` / `not ok - name: why` line per check
 * and `# N passed, M failed`; exits 1 on any failure, 2 when it cannot start.
 */

const { Deno, Bun } = globalThis;
const nodeProcess = globalThis.process;

// ---------------------------------------------------------------------------- setup

const env = (name) => (Deno ? Deno.env.get(name) : nodeProcess?.env[name]);

/** Flushes and exits on every runtime (Deno.exit, else process.exit). */
function exit(code) {
  if (Deno) Deno.exit(code);
  nodeProcess.exit(code);
}

const runtime = Bun
  ? `bun ${Bun.version}`
  : Deno
    ? `deno ${Deno.version.deno}`
    : nodeProcess?.versions?.node
      ? `node ${nodeProcess.versions.node}`
      : 'unknown';

const config = {
  url: env('DOLLR_SMOKE_URL'),
  echoUrl: env('DOLLR_SMOKE_ECHO_URL'),
  refusedUrl: env('DOLLR_SMOKE_REFUSED_URL'),
  token: env('DOLLR_SMOKE_TOKEN'),
  clientId: env('DOLLR_SMOKE_CLIENT_ID'),
  clientSecret: env('DOLLR_SMOKE_CLIENT_SECRET'),
  passcodeCode: env('DOLLR_SMOKE_PASSCODE'),
  phone: env('DOLLR_SMOKE_PHONE'),
  entry: env('DOLLR_SMOKE_ENTRY'),
  testing: env('DOLLR_SMOKE_TESTING'),
  webOnly: env('DOLLR_SMOKE_WEB_ONLY') === '1',
};

console.log(`# runtime: ${runtime}`);
const missing = ['url', 'echoUrl', 'refusedUrl', 'token', 'clientId', 'clientSecret', 'passcodeCode', 'phone'].filter((key) => !config[key]);
if (missing.length) {
  console.log(`not ok - setup: missing ${missing.join(', ')} (run it through npm run test:runtimes)`);
  exit(2);
}

const NODE_GLOBALS = ['Buffer', 'process', 'global', 'setImmediate', 'clearImmediate'];
if (config.webOnly) {
  for (const name of NODE_GLOBALS) delete globalThis[name];
  const left = NODE_GLOBALS.filter((name) => name in globalThis);
  if (left.length) {
    console.log(`not ok - setup: could not remove ${left.join(', ')}`);
    exit(2);
  }
  console.log(`# web-standard globals only: ${NODE_GLOBALS.join(', ')} removed before import`);
}

const entryUrl = config.entry ? toFileUrl(config.entry) : new URL('../../dist/index.js', import.meta.url).href;

function toFileUrl(path) {
  return path.startsWith('file:') ? path : new URL(`file://${path.startsWith('/') ? '' : '/'}${path}`).href;
}

// ---------------------------------------------------------------------------- helpers

class CheckFailure extends Error {}

function assert(condition, message) {
  if (!condition) throw new CheckFailure(message);
}

const describe = (value) => {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
};

/** Expects `promise` to reject and returns the rejection. */
async function rejection(promise, what) {
  let result;
  try {
    result = await promise;
  } catch (error) {
    return error;
  }
  throw new CheckFailure(`${what} resolved instead of rejecting: ${describe(result)?.slice(0, 200)}`);
}

const elapsedSince = (start) => Math.round(performance.now() - start);

/** The sandbox's control surface (JSON in and out). */
async function control(path, body) {
  const response = await fetch(`${config.url}/_sandbox${path}`, body === undefined ? {} : {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new CheckFailure(`sandbox control ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/**
 * One check's view of the wire: the sandbox's request log from now on (server side: method,
 * path, status, fault) and a recording `fetch` for the client (what it sent: authorization and
 * body), passed as the client's `fetch` option.
 */
async function watch() {
  const from = (await control('/requests')).length;
  const wire = [];
  return {
    baseUrl: config.url,
    wire,
    async fetch(input, init) {
      const request = input instanceof Request ? input : undefined;
      const headers = new Headers(init?.headers ?? request?.headers);
      const text = typeof init?.body === 'string' ? init.body : request && !init?.body ? await request.clone().text() : '';
      wire.push({
        method: init?.method ?? request?.method ?? 'GET',
        path: new URL(request ? request.url : String(input)).pathname,
        authorization: headers.get('authorization'),
        body: text ? JSON.parse(text) : undefined,
      });
      return fetch(input, init);
    },
    async calls() {
      return (await control('/requests')).slice(from);
    },
  };
}

const inject = (injection) => control('/inject', injection);

const FAST = { initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 };
/** Filled by setup(): the payout account the sessions pay out to. */
let ACCOUNT_ID;
let SESSION_BODY;
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Every error a check caught, for the secret check at the end. */
const caught = [];
/** Secrets that exist only on the server side of this run (tokens issued by the token endpoint). */
const issuedTokens = new Set();

function remember(label, error) {
  caught.push({ label, error });
  return error;
}

// ---------------------------------------------------------------------------- checks

let api;

function passcode(overrides = {}) {
  return api.createPasscode({
    code: config.passcodeCode,
    phone: config.phone,
    device: api.serverDevice({ clientIp: '203.0.113.10', userAgent: 'runtime-smoke/1.0' }),
    ...overrides,
  });
}

function staticClient(server, options = {}) {
  return api.createDollrClient({ baseUrl: server.baseUrl, fetch: server.fetch, auth: config.token, backoff: FAST, ...options });
}

function credentialsClient(server, options = {}) {
  const auth = { clientId: config.clientId, clientSecret: config.clientSecret };
  return api.createDollrClient({ baseUrl: server.baseUrl, fetch: server.fetch, auth, backoff: FAST, ...options });
}

/** A party and its PAYOUT account, as a merchant's backend creates them (once, before the checks). */
async function setup() {
  const post = async (path, body) => {
    const response = await fetch(`${config.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}` },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    assert(response.ok, `${path} answered ${response.status}: ${describe(data)}`);
    return data;
  };
  const party = await post('/v1/parties/create', { fullname: 'Jane Doe', phone: config.phone, email: 'jane@example.com', country_code: 'LR' });
  const account = await post('/v1/payment-accounts/create?operation_type=PAYOUT', {
    account_name: 'Jane MoMo',
    provider: 'MTN_MOMO_LBR',
    method: 'MOBILE_MONEY',
    party_id: party.id,
    country_code: 'LR',
    insensitive_account_number: '231771234567',
  });
  ACCOUNT_ID = account.id;
  SESSION_BODY = { payout_account_id: ACCOUNT_ID, amount: 25, currency: 'USD' };
}

async function executionsOf(referenceId) {
  return (await control('/executions')).filter((execution) => execution.referenceId === referenceId);
}

async function createSession(client) {
  const { data, error, response } = await client.POST('/v1/sessions/payout', { body: SESSION_BODY });
  assert(response.status === 200 && error === undefined, `session create answered ${response.status}: ${describe(error)}`);
  return data;
}

const checks = [
  [
    'main entry loads and exports the public API',
    async () => {
      const functions = ['createDollrClient', 'createPasscode', 'serverDevice', 'newReferenceId', 'isReferenceId'];
      for (const name of functions) assert(typeof api[name] === 'function', `${name} is ${typeof api[name]}`);
      const { DollrError, DollrApiError, DollrInputError, DollrConnectionError, DollrTimeoutError } = api;
      assert(typeof DollrError === 'function' && DollrError.prototype instanceof Error, 'DollrError does not extend Error');
      for (const [name, Sub] of Object.entries({ DollrApiError, DollrInputError, DollrConnectionError })) {
        assert(typeof Sub === 'function' && Sub.prototype instanceof DollrError, `${name} does not extend DollrError`);
      }
      assert(DollrTimeoutError?.prototype instanceof DollrConnectionError, 'DollrTimeoutError does not extend DollrConnectionError');
      assert(typeof api.VERSION === 'string' && /^\d+\.\d+\.\d+/.test(api.VERSION), `VERSION is ${api.VERSION}`);
      assert(api.isReferenceId(api.newReferenceId()), 'newReferenceId() is not a UUID v4');
    },
  ],
  [
    'session create: client.POST(/v1/sessions/payout)',
    async () => {
      const server = await watch();
      const session = await createSession(staticClient(server));
      assert(Number.isInteger(session.id) && Number.isInteger(session.wallet_id), `session ${describe(session)}`);
      assert(!Number.isNaN(Date.parse(session.expires_at)), `expires_at ${session.expires_at}`);
      assert(session.payout_account_id === ACCOUNT_ID && session.amount === 25 && session.currency === 'USD', `session ${describe(session)}`);
      const calls = await server.calls();
      assert(calls.length === 1, `server saw ${calls.length} requests, expected 1`);
      assert(calls[0].path === '/v1/sessions/payout' && calls[0].method === 'POST' && calls[0].status === 200, `sent ${describe(calls[0])}`);
      assert(server.wire[0]?.authorization === `Bearer ${config.token}`, 'Authorization is not the static bearer token');
      assert(sameJson(server.wire[0]?.body, SESSION_BODY), `sent body ${describe(server.wire[0]?.body)}`);
    },
  ],
  [
    'payout: client.payout() on a fresh session, then GET its status',
    async () => {
      const server = await watch();
      const client = staticClient(server);
      const session = await createSession(client);
      const referenceId = api.newReferenceId();
      const execution = await client.payout({ sessionId: session.id, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() });
      assert(execution.reference_id === referenceId, `reference_id ${execution.reference_id}`);
      assert(execution.status === 'PENDING' && execution.payee_amount === 25, `execution ${describe(execution)}`);
      const { data, response } = await client.GET('/v1/status/payout/{reference_id}', {
        params: { path: { reference_id: referenceId } },
      });
      assert(response.status === 200 && data?.reference_id === referenceId, `status lookup ${response.status} ${describe(data)}`);
      const posts = (await server.calls()).filter((call) => call.path === '/v1/executions/payout');
      assert(posts.length === 1, `payout POSTed ${posts.length} times, expected 1`);
      const [recorded] = await executionsOf(referenceId);
      const body = recorded?.body ?? {};
      assert(recorded?.sends === 1, `the sandbox recorded ${describe(recorded)}`);
      assert(body.session_id === String(session.id) && body.payout_account_id === String(ACCOUNT_ID), `ids sent as ${describe(body)}`);
      assert(body.passcode?.token?.code === config.passcodeCode && body.passcode.device.client_ip === '203.0.113.10', 'passcode not sent as built');
    },
  ],
  [
    '422: DollrApiError with status, issues and referenceId, not retried',
    async () => {
      const server = await watch();
      const client = staticClient(server);
      const referenceId = api.newReferenceId();
      const error = remember(
        '422',
        await rejection(client.payout({ sessionId: 999_999, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() }), 'payout on an unknown session'),
      );
      assert(error instanceof api.DollrApiError && error instanceof api.DollrError, `threw ${describe(error)}`);
      assert(error.status === 422, `status ${error.status}`);
      assert(error.issues.some((issue) => issue.path === 'body.session_id'), `issues ${describe(error.issues)}`);
      assert(error.referenceId === referenceId, `referenceId ${error.referenceId}`);
      assert(error.message.includes('422') && error.message.includes('body.session_id'), `message "${error.message}"`);
      const calls = await server.calls();
      assert(calls.length === 1 && calls[0].status === 422, `server saw ${describe(calls)}, expected one 422 (a 422 is never re-sent)`);
      assert((await executionsOf(referenceId)).length === 0, 'the refused payout was recorded');
    },
  ],
  [
    "422 echoing the submitted body (FastAPI's `input`, passcode code included): not in the error",
    async () => {
      const server = await watch();
      const client = staticClient(server);
      const referenceId = api.newReferenceId();
      const code = passcode();
      const sent = { session_id: '1', payout_account_id: String(ACCOUNT_ID), reference_id: referenceId, passcode: code };
      await inject({
        method: 'POST',
        path: '/v1/executions/payout',
        fault: { status: 422, body: { detail: [{ loc: ['body', 'session_id'], msg: 'Value error, session not found', type: 'value_error', input: sent }] } },
      });
      const error = remember('422 echo', await rejection(client.payout({ sessionId: 1, payoutAccountId: ACCOUNT_ID, referenceId, passcode: code }), 'payout answered 422'));
      assert(error instanceof api.DollrApiError && error.status === 422, `threw ${describe(error)}`);
      const calls = await server.calls();
      assert(calls.length === 1 && calls[0].fault === 'status 422', `server saw ${describe(calls)}`);
    },
  ],
  [
    'connection refused: DollrConnectionError (session create and payout)',
    async () => {
      const client = staticClient({ baseUrl: config.refusedUrl }, { maxRetries: 0 });
      const error = remember('refused session', await rejection(client.POST('/v1/sessions/payout', { body: SESSION_BODY }), 'POST to a closed port'));
      assert(error instanceof api.DollrConnectionError, `threw ${describe(error)}`);
      assert(!(error instanceof api.DollrTimeoutError), 'a refusal was reported as a timeout');
      const referenceId = api.newReferenceId();
      const payoutError = remember(
        'refused payout',
        await rejection(client.payout({ sessionId: 1, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() }), 'payout to a closed port'),
      );
      assert(payoutError instanceof api.DollrConnectionError, `payout threw ${describe(payoutError)}`);
      assert(payoutError.referenceId === referenceId, `payout error referenceId ${payoutError.referenceId}`);
      return `code ${error.code ?? 'none'}`;
    },
  ],
  [
    'connection refused: a session create is retried, as never sent',
    async () => {
      const client = staticClient({ baseUrl: config.refusedUrl }, { maxRetries: 2 });
      const error = remember('refused retried', await rejection(client.POST('/v1/sessions/payout', { body: SESSION_BODY }), 'POST to a closed port'));
      assert(error instanceof api.DollrConnectionError, `threw ${describe(error)}`);
      // A refusal proves nothing reached the server, so even a non-idempotent POST is retried.
      assert(error.attempts === 3, `${error.attempts} attempt(s) with maxRetries 2 (code ${error.code}): "${error.message}"`);
    },
  ],
  [
    'timeout: DollrTimeoutError, session create not re-sent',
    async () => {
      const server = await watch();
      await inject({ method: 'POST', path: '/v1/sessions/payout', fault: { delayMs: 2_500 } });
      const client = staticClient(server, { timeoutMs: 300, maxRetries: 2 });
      const start = performance.now();
      const error = remember('timeout', await rejection(client.POST('/v1/sessions/payout', { body: SESSION_BODY }), 'POST to a server that holds the reply'));
      const ms = elapsedSince(start);
      assert(error instanceof api.DollrTimeoutError && error instanceof api.DollrConnectionError, `threw ${describe(error)}`);
      assert(ms >= 250 && ms < 2_000, `rejected after ${ms} ms with timeoutMs 300`);
      const calls = await server.calls();
      assert(calls.length === 1, `server saw ${calls.length} requests, expected 1 (a POST that may have landed is not repeated)`);
      return `${ms} ms`;
    },
  ],
  [
    'abort: rejects at once with the signal reason, never retried',
    async () => {
      const server = await watch();
      await inject({ method: 'POST', path: '/v1/sessions/payout', fault: { delayMs: 2_500 } });
      const client = staticClient(server, { maxRetries: 2 });
      const controller = new AbortController();
      const reason = new Error('smoke: caller gave up');
      const start = performance.now();
      setTimeout(() => controller.abort(reason), 100);
      const error = await rejection(client.POST('/v1/sessions/payout', { body: SESSION_BODY, signal: controller.signal }), 'aborted POST');
      const ms = elapsedSince(start);
      assert(error === reason, `rejected with ${describe(error)}, not the signal's reason`);
      assert(ms < 1_500, `rejected after ${ms} ms (the server holds 2500 ms)`);
      const calls = await server.calls();
      assert(calls.length === 1, `server saw ${calls.length} requests, expected 1`);
      return `${ms} ms`;
    },
  ],
  [
    'abort before sending: payout rejects with the reason, nothing sent',
    async () => {
      const server = await watch();
      const client = staticClient(server);
      const reason = new Error('smoke: aborted up front');
      const controller = new AbortController();
      controller.abort(reason);
      const input = { sessionId: 1, payoutAccountId: ACCOUNT_ID, referenceId: api.newReferenceId(), passcode: passcode() };
      const error = await rejection(client.payout(input, { signal: controller.signal }), 'payout with an aborted signal');
      assert(error === reason, `rejected with ${describe(error)}, not the signal's reason`);
      const calls = await server.calls();
      assert(calls.length === 0, `server saw ${calls.length} requests, expected none`);
    },
  ],
  [
    'client credentials: token, one refresh after a 401, then cached',
    async () => {
      const server = await watch();
      // The first bearer is refused, as a token revoked early would be.
      await inject({ method: 'POST', path: '/v1/sessions/payout', fault: { status: 401, body: { detail: 'Could not validate credentials' } } });
      const client = credentialsClient(server);
      const first = await client.POST('/v1/sessions/payout', { body: SESSION_BODY });
      assert(first.response.status === 200 && Number.isInteger(first.data?.id), `first request answered ${first.response.status}`);
      const second = await client.POST('/v1/sessions/payout', { body: SESSION_BODY });
      assert(second.response.status === 200, `second request answered ${second.response.status}`);
      const calls = await server.calls();
      const tokenCalls = server.wire.filter((call) => call.path === '/v1/jwt/client/obtain/token');
      const sessionCalls = server.wire.filter((call) => call.path === '/v1/sessions/payout');
      for (const call of sessionCalls) issuedTokens.add(call.authorization?.replace(/^Bearer /, ''));
      assert(tokenCalls.length === 2, `token endpoint called ${tokenCalls.length} times, expected 2 (initial + one refresh)`);
      assert(
        tokenCalls.every((call) => call.body?.client_id === config.clientId && call.body?.client_secret === config.clientSecret),
        'token request body is not {client_id, client_secret}',
      );
      assert(sessionCalls.length === 3, `session endpoint called ${sessionCalls.length} times, expected 3 (401, retry, cached)`);
      const [refused, retried, cached] = sessionCalls.map((call) => call.authorization);
      assert(refused !== retried, 'the request after the 401 reused the refused token');
      assert(retried === cached, 'the refreshed token was not reused from the cache');
      assert(calls.map((call) => `${call.path} ${call.status}`).join() === [
        '/v1/jwt/client/obtain/token 200', '/v1/sessions/payout 401', '/v1/jwt/client/obtain/token 200', '/v1/sessions/payout 200', '/v1/sessions/payout 200',
      ].join(), `order ${calls.map((call) => `${call.path} ${call.status}`).join(' ')}`);
    },
  ],
  [
    'client credentials: a 401 after the refresh is thrown, not retried again',
    async () => {
      // Every bearer refused with a 401 that echoes it: no Dollr-like server does that (server.ts).
      const server = { baseUrl: config.echoUrl, wire: [], fetch: undefined };
      const recorded = await watch();
      server.fetch = recorded.fetch;
      const client = credentialsClient(server);
      const input = { sessionId: 1, payoutAccountId: ACCOUNT_ID, referenceId: api.newReferenceId(), passcode: passcode() };
      const error = remember('401 twice', await rejection(client.payout(input), 'payout refused twice'));
      const calls = recorded.wire;
      for (const call of calls) if (call.authorization) issuedTokens.add(call.authorization.replace(/^Bearer /, ''));
      assert(error instanceof api.DollrApiError && error.status === 401, `threw ${describe(error)}`);
      const tokenCalls = calls.filter((call) => call.path === '/v1/jwt/client/obtain/token').length;
      const payouts = calls.filter((call) => call.path === '/v1/executions/payout').length;
      assert(tokenCalls === 2 && payouts === 2, `token requests ${tokenCalls}, payout requests ${payouts}; expected 2 and 2`);
    },
  ],
  [
    'client credentials: a refused token request is a DollrApiError',
    async () => {
      const server = await watch();
      // Refused with a body that echoes the client secret.
      await inject({
        method: 'POST',
        path: '/v1/jwt/client/obtain/token',
        fault: { status: 401, body: { detail: `Could not validate credentials for ${config.clientId}:${config.clientSecret}` } },
      });
      const client = credentialsClient(server);
      const error = remember('token refused', await rejection(client.POST('/v1/sessions/payout', { body: SESSION_BODY }), 'request without a token'));
      assert(error instanceof api.DollrApiError && error.status === 401, `threw ${describe(error)}`);
      const calls = await server.calls();
      assert(calls.length === 1 && calls[0].path === '/v1/jwt/client/obtain/token', `server saw ${calls.map((call) => call.path).join(' ')}`);
    },
  ],
  [
    'bad input: DollrInputError before any request',
    async () => {
      const server = await watch();
      const client = staticClient(server);
      const error = remember(
        'input',
        await rejection(
          client.payout({ sessionId: 1, payoutAccountId: ACCOUNT_ID, referenceId: 'not-a-uuid', passcode: passcode() }),
          'payout with a bad reference_id',
        ),
      );
      assert(error instanceof api.DollrInputError && error.field === 'reference_id', `threw ${describe(error)}`);
      const phoneError = remember('input phone', await rejection((async () => passcode({ phone: '+231 77 123 4567' }))(), 'createPasscode with a bad phone'));
      assert(phoneError instanceof api.DollrInputError && phoneError.field === 'passcode.token.phone', `threw ${describe(phoneError)}`);
      const calls = await server.calls();
      assert(calls.length === 0, `server saw ${calls.length} requests, expected none`);
    },
  ],
  [
    'full flow: client credentials, session, payout, status',
    async () => {
      const server = await watch();
      const client = credentialsClient(server);
      const session = await createSession(client);
      const referenceId = api.newReferenceId();
      const execution = await client.payout({ sessionId: session.id, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() });
      assert(execution.reference_id === referenceId && execution.status === 'PENDING', `execution ${describe(execution)}`);
      const { data, response } = await client.GET('/v1/status/payout/{reference_id}', { params: { path: { reference_id: referenceId } } });
      assert(response.status === 200 && data.reference_id === referenceId, `status lookup ${response.status} ${describe(data)}`);
      const recorded = await executionsOf(referenceId);
      assert(recorded.length === 1 && recorded[0].sends === 1, `sandbox recorded ${describe(recorded)}`);
    },
  ],
  [
    'connection reset after the payout landed: one payout, outcome returned',
    async () => {
      const server = await watch();
      const client = credentialsClient(server);
      const session = await createSession(client);
      await inject({ method: 'POST', path: '/v1/executions/payout', fault: 'reset-after' });
      const referenceId = api.newReferenceId();
      let outcome;
      try {
        outcome = await client.payout({ sessionId: session.id, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() });
      } catch (error) {
        outcome = remember('sandbox reset', error);
      }
      const recorded = await executionsOf(referenceId);
      assert(recorded.length === 1, `sandbox recorded ${recorded.length} executions for the reference_id`);
      assert(recorded[0].sends === 1, `the payout reached the sandbox ${recorded[0].sends} times, expected 1`);
      // The outcome was ambiguous: the client looks the reference_id up before any re-send,
      // finds the payout and returns it.
      assert(!(outcome instanceof Error), `threw ${describe(outcome)} instead of looking the payout up`);
      assert(outcome.reference_id === referenceId, `resolved with ${describe(outcome)}`);
      return `resolved ${outcome.status}`;
    },
  ],
  [
    'redirect: a 307 on the payout is a DollrApiError, never followed',
    async () => {
      const server = await watch();
      const client = staticClient(server);
      const session = await createSession(client);
      // The Location is the payout URL itself: following it would send the payout.
      await inject({ method: 'POST', path: '/v1/executions/payout', fault: { redirect: `${config.url}/v1/executions/payout` } });
      const referenceId = api.newReferenceId();
      const error = remember(
        'redirect',
        await rejection(client.payout({ sessionId: session.id, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() }), 'payout answered 307'),
      );
      assert(error instanceof api.DollrApiError && error.status === 307, `threw ${describe(error)}`);
      const posts = (await server.calls()).filter((call) => call.path === '/v1/executions/payout');
      assert(posts.length === 1 && posts[0].status === 307, `the sandbox saw ${describe(posts)}: the redirect was followed`);
      assert((await executionsOf(referenceId)).length === 0, 'the payout was processed');
    },
  ],
  [
    'stalled body: a processed payout whose answer never ends settles by the deadline',
    async () => {
      const server = await watch();
      const client = staticClient(server, { timeoutMs: 1_000, maxRetries: 2 });
      const session = await createSession(client);
      await inject({ method: 'POST', path: '/v1/executions/payout', fault: 'stall' });
      const referenceId = api.newReferenceId();
      const start = performance.now();
      let outcome;
      // Guard far past the deadline: a call still pending then never ends by itself.
      const guard = new Promise((resolve) => setTimeout(() => resolve('still pending after 15 s'), 15_000));
      try {
        outcome = await Promise.race([client.payout({ sessionId: session.id, payoutAccountId: ACCOUNT_ID, referenceId, passcode: passcode() }), guard]);
      } catch (error) {
        outcome = remember('stall', error);
      }
      const ms = elapsedSince(start);
      assert(outcome !== 'still pending after 15 s', 'the payout was still pending after 15 s with timeoutMs 1000');
      if (outcome instanceof Error) {
        assert(outcome instanceof api.DollrError && outcome.processed === 'unknown', `threw ${describe(outcome)}`);
      } else {
        assert(outcome.reference_id === referenceId, `resolved with ${describe(outcome)}`);
      }
      const recorded = await executionsOf(referenceId);
      assert(recorded.length === 1 && recorded[0].sends === 1, `sandbox recorded ${describe(recorded)}`);
      return `${outcome instanceof Error ? 'typed error' : 'reconciled'} after ${ms} ms`;
    },
  ],
  [
    'client.execute(payout), then waitForExecution to COMPLETED',
    async () => {
      assert(typeof api.isFinalStatus === 'function', `isFinalStatus is ${typeof api.isFinalStatus}`);
      const server = await watch();
      const client = credentialsClient(server);
      assert(typeof client.execute === 'function' && typeof client.waitForExecution === 'function', 'client.execute / waitForExecution missing');
      const session = await createSession(client);
      const referenceId = api.newReferenceId();
      const body = { session_id: String(session.id), payout_account_id: String(ACCOUNT_ID), reference_id: referenceId, passcode: passcode() };
      const execution = await client.execute('payout', body);
      assert(execution.reference_id === referenceId && !api.isFinalStatus(execution.status), `execute resolved ${describe(execution)}`);
      const seen = [];
      const final = await client.waitForExecution('payout', referenceId, {
        pollIntervalMs: 50,
        maxWaitMs: 10_000,
        onStatus: (update) => seen.push(update.status),
      });
      assert(final.status === 'COMPLETED' && api.isFinalStatus(final.status), `settled as ${describe(final)}`);
      assert((await client.getExecution('payout', referenceId)).status === 'COMPLETED', 'getExecution disagrees');
      return seen.join(' -> ');
    },
  ],
];

if (config.testing) {
  checks.push([
    'dollr-client/testing loads (Node only)',
    async () => {
      const testing = await import(toFileUrl(config.testing));
      assert(typeof testing.startMockServer === 'function', `startMockServer is ${typeof testing.startMockServer}`);
      const extra = Object.keys(testing).filter((name) => typeof testing[name] === 'function');
      return extra.join(', ');
    },
  ]);
}

checks.push([
  'no secret in any error (message, JSON.stringify, String(cause))',
  async () => {
    const secrets = [config.token, config.clientSecret, config.passcodeCode, ...issuedTokens].filter(Boolean);
    assert(issuedTokens.size >= 2, `only ${issuedTokens.size} issued tokens seen; the client-credentials checks did not run`);
    const labels = new Set(caught.map((entry) => entry.label));
    for (const label of ['422', '422 echo', 'refused payout', 'timeout', '401 twice', 'token refused']) {
      assert(labels.has(label), `no "${label}" error was caught to inspect`);
    }
    for (const { label, error } of caught) {
      const views = {
        message: String(error?.message),
        'JSON.stringify': JSON.stringify(error) ?? '',
        'String(cause)': String(error?.cause),
        String: String(error),
      };
      for (const [view, text] of Object.entries(views)) {
        const leaked = secrets.find((secret) => text.includes(secret));
        assert(leaked === undefined, `${label} error: ${view} contains a secret (${leaked === config.passcodeCode ? 'passcode code' : leaked === config.clientSecret ? 'client secret' : 'token'})`);
      }
    }
    return `${caught.length} errors, ${secrets.length} secrets`;
  },
]);

// ---------------------------------------------------------------------------- run

let passed = 0;
let failed = 0;
let loadError;
try {
  api = await import(entryUrl);
} catch (error) {
  loadError = error;
}

if (!loadError) {
  try {
    await setup();
  } catch (error) {
    console.log(`not ok - setup: the sandbox refused the party or account: ${describe(error)}`);
    exit(2);
  }
}

for (const [name, run] of checks) {
  if (loadError) {
    failed++;
    console.log(`not ok - ${name}: the entry did not load: ${describe(loadError)}`);
    continue;
  }
  try {
    const note = await run();
    passed++;
    console.log(`ok - ${name}${note ? ` (${note})` : ''}`);
  } catch (error) {
    failed++;
    const why = error instanceof CheckFailure ? error.message : `unexpected ${describe(error)}`;
    console.log(`not ok - ${name}: ${why.replace(/\s+/g, ' ')}`);
  }
}

console.log(`# ${passed} passed, ${failed} failed`);
exit(failed === 0 ? 0 : 1);
