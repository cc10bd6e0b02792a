/**
 * A small scripted Dollr on 127.0.0.1 for the runtime smoke suite. It runs in the
 * orchestrator's Node; the runtime under test only runs the client against it.
 *
 * Every URL is `/<scenario>/<key>/v1/...`: the smoke script picks a scenario (the fault it
 * wants) and a fresh key per check, so each check has its own state and call log, read back
 * with `GET /__calls/<scenario>/<key>`. Scenarios:
 *
 * - `ok`     static bearer token. Payout sessions are created and remembered; a payout on a
 *            session this key created succeeds (once per reference_id) and can be looked up at
 *            `GET /v1/status/payout/{reference_id}` (404 before it lands); anything malformed,
 *            an unknown session or a reused reference_id gets FastAPI's 422, echoing the
 *            submitted body in `detail[].input` as FastAPI does (passcode code included).
 * - `cc`     client credentials: the token endpoint checks the id and secret and issues a new
 *            token per call; the first token of the key is answered 401, later ones as `ok`.
 * - `cc401`  client credentials, every bearer token refused with a 401 that echoes it.
 * - `ccbad`  the token endpoint refuses with a 401 that echoes the client secret.
 * - `slow`   every request is held SLOW_MS before a 200 (timeouts and aborts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SmokeSecrets {
  token: string;
  clientId: string;
  clientSecret: string;
  passcodeCode: string;
}

export interface SmokeServer {
  url: string;
  /** Requests answered, all scenarios (the summary shows it). */
  requests(): number;
  close(): Promise<void>;
}

interface Call {
  method: string;
  path: string;
  authorization: string | null;
  body: unknown;
}

interface KeyState {
  calls: Call[];
  tokens: string[];
  sessions: Map<string, { amount: number; currency: string; payout_account_id: number }>;
  executions: Map<string, Record<string, unknown>>;
}

const SLOW_MS = 2_500;
const MAX_BODY = 64 * 1024;
const MAX_KEYS = 1_000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const DEVICE_FIELDS = ['name', 'type', 'platform', 'user_agent', 'client_ip'];
const NOT_VALID = { detail: 'Could not validate credentials' };

type Issue = { loc: (string | number)[]; msg: string; type: string; input?: unknown };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isFilled = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
    req.on('error', reject);
  });
}

function sessionIssues(body: unknown): Issue[] {
  if (!isObject(body)) return [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: body }];
  const issues: Issue[] = [];
  if (!Number.isInteger(body.payout_account_id)) {
    issues.push({ loc: ['body', 'payout_account_id'], msg: 'Input should be a valid integer', type: 'int_type', input: body.payout_account_id });
  }
  if (typeof body.amount !== 'number' || !(body.amount >= 0.01)) {
    issues.push({ loc: ['body', 'amount'], msg: 'Input should be greater than or equal to 0.01', type: 'greater_than_equal', input: body.amount });
  }
  if (typeof body.currency !== 'string' || !/^[A-Z]{3}$/.test(body.currency)) {
    issues.push({ loc: ['body', 'currency'], msg: 'String should have 3 uppercase letters', type: 'string_pattern_mismatch', input: body.currency });
  }
  return issues;
}

function payoutIssues(body: unknown, state: KeyState, secrets: SmokeSecrets): Issue[] {
  if (!isObject(body)) return [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type', input: body }];
  const issues: Issue[] = [];
  const at = (field: string, msg: string, type = 'value_error') =>
    issues.push({ loc: ['body', ...field.split('.')], msg, type, input: body });
  if (typeof body.session_id !== 'string') at('session_id', 'Input should be a valid string', 'string_type');
  else if (!state.sessions.has(body.session_id)) at('session_id', 'Session not found or expired');
  if (typeof body.payout_account_id !== 'string') at('payout_account_id', 'Input should be a valid string', 'string_type');
  if (typeof body.reference_id !== 'string' || !UUID_V4.test(body.reference_id)) at('reference_id', 'reference_id must be a UUID v4');
  else if (state.executions.has(body.reference_id)) at('reference_id', 'reference_id already exists');
  const passcode = body.passcode;
  const token = isObject(passcode) ? passcode.token : undefined;
  const device = isObject(passcode) ? passcode.device : undefined;
  if (!isObject(token)) at('passcode.token', 'Field required', 'missing');
  else {
    if (token.code !== secrets.passcodeCode) at('passcode.token.code', 'Invalid passcode');
    if (!(typeof token.phone === 'string' && /^\d{8,15}$/.test(token.phone)) && !isFilled(token.user_id)) {
      at('passcode.token.phone', 'String should have at most 15 characters');
    }
  }
  if (!isObject(device)) at('passcode.device', 'Field required', 'missing');
  else for (const key of DEVICE_FIELDS) if (!isFilled(device[key])) at(`passcode.device.${key}`, 'Field required', 'missing');
  return issues;
}

export async function startSmokeServer(secrets: SmokeSecrets): Promise<SmokeServer> {
  const keys = new Map<string, KeyState>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let answered = 0;
  let nextSessionId = 100;

  const stateOf = (id: string): KeyState | undefined => {
    let state = keys.get(id);
    if (!state && keys.size < MAX_KEYS) {
      state = { calls: [], tokens: [], sessions: new Map(), executions: new Map() };
      keys.set(id, state);
    }
    return state;
  };

  /** Bearer check for one scenario; answers the 401 itself and returns false when refused. */
  function authorized(scenario: string, state: KeyState, header: string | null, res: ServerResponse): boolean {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (token === undefined) {
      send(res, 401, { detail: 'Not authenticated' });
      return false;
    }
    if (scenario === 'cc401') {
      // A careless server that echoes what it refused: the client must not pass it on.
      send(res, 401, { detail: `Could not validate credentials: ${token}` });
      return false;
    }
    const valid = scenario === 'ok' ? token === secrets.token : state.tokens.indexOf(token) > 0;
    if (!valid) send(res, 401, NOT_VALID);
    return valid;
  }

  function api(scenario: string, state: KeyState, call: Call, res: ServerResponse): void {
    const { method, path, body } = call;
    if (method === 'POST' && path === '/v1/jwt/client/obtain/token') {
      if (scenario === 'ccbad') return send(res, 401, { detail: `Unknown client or bad secret: ${JSON.stringify(body)}` });
      if (!isObject(body) || body.client_id !== secrets.clientId || body.client_secret !== secrets.clientSecret) {
        return send(res, 401, { detail: 'Invalid client credentials' });
      }
      const token = `smoke-cc-${crypto.randomUUID()}-${state.tokens.length + 1}`;
      state.tokens.push(token);
      return send(res, 200, { access_token: token, expires_in: 60 });
    }
    if (!authorized(scenario, state, call.authorization, res)) return;

    if (method === 'POST' && path === '/v1/sessions/payout') {
      const issues = sessionIssues(body);
      if (issues.length) return send(res, 422, { detail: issues });
      const { payout_account_id, amount, currency } = body as { payout_account_id: number; amount: number; currency: string };
      const id = nextSessionId++;
      state.sessions.set(String(id), { payout_account_id, amount, currency });
      const now = Date.now();
      return send(res, 200, {
        id,
        wallet_id: 7,
        payout_account_id,
        amount,
        currency,
        status: 'ACTIVE',
        expires_at: new Date(now + 15 * 60_000).toISOString(),
        created_at: new Date(now).toISOString(),
        updated_at: new Date(now).toISOString(),
      });
    }
    if (method === 'POST' && path === '/v1/executions/payout') {
      const issues = payoutIssues(body, state, secrets);
      if (issues.length) return send(res, 422, { detail: issues });
      const { session_id, reference_id } = body as { session_id: string; reference_id: string };
      const session = state.sessions.get(session_id)!;
      const execution = {
        reference_id,
        provider_transaction_id: null,
        status: 'PENDING',
        payer_amount: session.amount,
        payer_currency: session.currency,
        payee_currency: session.currency,
        payee_amount: session.amount,
        operation_type: 'PAYOUT',
        gateway_message: null,
        wallet_message: null,
      };
      state.executions.set(reference_id, execution);
      return send(res, 200, execution);
    }
    const status = /^\/v1\/status\/payout\/([^/]+)$/.exec(path);
    if (method === 'GET' && status) {
      const execution = state.executions.get(decodeURIComponent(status[1]!));
      return execution ? send(res, 200, execution) : send(res, 404, { detail: 'Not found' });
    }
    send(res, 404, { detail: 'Not Found' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, first, second, ...rest] = url.pathname.split('/');
    const method = req.method ?? 'GET';
    if (first === '__calls' && second && rest.length === 1) {
      return send(res, 200, keys.get(`${second}/${rest[0]}`)?.calls ?? []);
    }
    const scenario = first ?? '';
    if (!['ok', 'cc', 'cc401', 'ccbad', 'slow'].includes(scenario) || !second) return send(res, 404, { detail: 'unknown scenario' });
    const state = stateOf(`${scenario}/${second}`);
    if (!state) return send(res, 503, { detail: 'too many keys' });
    const path = `/${rest.join('/')}`;
    const body = await readBody(req);
    const call: Call = { method, path, authorization: req.headers.authorization ?? null, body };
    state.calls.push(call);
    if (scenario === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) send(res, 200, { late: true });
      }, SLOW_MS);
      timers.add(timer);
      return;
    }
    api(scenario, state, call, res);
  }

  const server = createServer((req, res) => {
    answered++;
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { detail: String(error) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A loopback URL where nothing listens: bind a free port, then release it. */
export async function refusedUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
