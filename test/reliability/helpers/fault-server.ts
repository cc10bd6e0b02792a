// A loopback `node:http` server for fault injection. It records every request it
// receives (method, path, headers, raw body bytes, arrival time, whether it "processed"
// it) and answers each one as a per-test `plan` says: a reply, a reply after a delay, or
// a destroyed socket before or after processing. It also serves the OAuth token endpoint.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export const TOKEN_PATH = '/v1/jwt/client/obtain/token';
export const PAYOUT_PATH = '/v1/executions/payout';

export interface RecordedRequest {
  /** 0-based arrival order across all paths. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `Date.now()` when the full body had arrived. */
  arrivedAt: number;
  /** `performance.now()` at the same moment (monotonic; immune to faked Date). */
  arrivedAtMono: number;
  /** True once the server acted on the request (a reply was produced or the effect happened). */
  processed: boolean;
}

export type Reply =
  | { kind: 'reply'; status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** Destroy the socket without processing: nothing happened server-side. */
  | { kind: 'reset-before' }
  /** Count the request processed, then destroy the socket: the effect happened, the response is lost. */
  | { kind: 'reset-after' };

/** Decides the answer to one request. `nth` is the 0-based count of earlier requests on the same path. */
export type Plan = (request: RecordedRequest, nth: number) => Reply;

export interface TokenGrant {
  access_token: string;
  expires_in: number;
  issuedAt: number;
}

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests to one path. */
  on(path: string): RecordedRequest[];
  /** Plan for every path but the token endpoint. Replace it between tests. */
  plan: Plan;
  /** Plan for the token endpoint; default issues `tok-SECRET-<n>` tokens valid `tokenMinutes`. */
  tokenPlan: Plan;
  /** Lifetime (minutes) of tokens the default token plan issues. */
  tokenMinutes: number;
  /** Tokens issued so far by the default token plan. */
  readonly grants: TokenGrant[];
  /** True when `authorization` carries a token this server issued and that has not expired (by Date.now()). */
  isValidBearer(headers: IncomingHttpHeaders): boolean;
  /** Forgets requests and grants, and restores the default plans and token lifetime. */
  reset(): void;
  close(): Promise<void>;
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  kind: 'reply',
  status: 200,
  body,
  ...(headers && { headers }),
});
export const status = (code: number, body: unknown = { detail: 'fault' }, headers?: Record<string, string>): Reply => ({
  kind: 'reply',
  status: code,
  body,
  ...(headers && { headers }),
});

/** A valid ExecutionResponse for the request's reference_id. */
export function executionFor(request: RecordedRequest): Record<string, unknown> {
  let referenceId: unknown;
  try {
    referenceId = (JSON.parse(request.body.toString('utf8')) as { reference_id?: unknown }).reference_id;
  } catch {
    referenceId = undefined;
  }
  return {
    reference_id: typeof referenceId === 'string' ? referenceId : 'unknown',
    status: 'PENDING',
    payer_amount: 10,
    payer_currency: 'USD',
    payee_currency: 'LRD',
    payee_amount: 1900,
    operation_type: 'PAYOUT',
  };
}

export const TOKEN_PREFIX = 'tok-SECRET-';

/** Starts on 127.0.0.1, on `port` (default 0: any free port). */
export async function startFaultServer(port = 0): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  const grants: TokenGrant[] = [];
  const perPath = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sockets = new Set<Socket>();

  const defaultPlan: Plan = (request) => ok(executionFor(request));
  /** Issues `tok-SECRET-<n>-<random>` tokens valid `state.tokenMinutes`. */
  const defaultTokenPlan: Plan = () => {
    const grant = {
      access_token: `${TOKEN_PREFIX}${grants.length + 1}-${Math.random().toString(36).slice(2, 10)}`,
      expires_in: state.tokenMinutes,
      issuedAt: Date.now(),
    };
    grants.push(grant);
    return ok({ access_token: grant.access_token, expires_in: grant.expires_in });
  };
  const state = { plan: defaultPlan, tokenPlan: defaultTokenPlan, tokenMinutes: 60 };

  function isValidBearer(headers: IncomingHttpHeaders): boolean {
    const match = /^Bearer (.+)$/.exec(headers.authorization ?? '');
    if (!match) return false;
    const grant = grants.find((g) => g.access_token === match[1]);
    return grant !== undefined && Date.now() < grant.issuedAt + grant.expires_in * 60_000;
  }

  function send(res: ServerResponse, reply: Extract<Reply, { kind: 'reply' }>): void {
    if (res.destroyed) return;
    const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(payload);
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const path = (req.url ?? '').replace(/\?.*$/, '');
    const nth = perPath.get(path) ?? 0;
    perPath.set(path, nth + 1);
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      arrivedAt: Date.now(),
      arrivedAtMono: performance.now(),
      processed: false,
    };
    requests.push(record);
    let reply: Reply;
    try {
      reply = path === TOKEN_PATH ? state.tokenPlan(record, nth) : state.plan(record, nth);
    } catch (error) {
      reply = status(599, { detail: `plan threw: ${String(error)}` });
    }
    if (reply.kind === 'reset-before') {
      req.socket.destroy();
      return;
    }
    record.processed = true;
    if (reply.kind === 'reset-after') {
      req.socket.destroy();
      return;
    }
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(res, reply);
      }, reply.delayMs);
      timers.add(timer);
      return;
    }
    send(res, reply);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    on: (path) => requests.filter((r) => r.path === path),
    get plan() {
      return state.plan;
    },
    set plan(plan: Plan) {
      state.plan = plan;
    },
    get tokenPlan() {
      return state.tokenPlan;
    },
    set tokenPlan(plan: Plan) {
      state.tokenPlan = plan;
    },
    get tokenMinutes() {
      return state.tokenMinutes;
    },
    set tokenMinutes(minutes: number) {
      state.tokenMinutes = minutes;
    },
    grants,
    isValidBearer,
    reset() {
      state.plan = defaultPlan;
      state.tokenPlan = defaultTokenPlan;
      state.tokenMinutes = 60;
      requests.length = 0;
      grants.length = 0;
      perPath.clear();
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One fault server per test file, reset before each test. Call at module level; the
 * returned getter gives the running server inside tests.
 */
export function useFaultServer(): () => FaultServer {
  let server: FaultServer | undefined;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server?.reset();
  });
  return () => {
    if (!server) throw new Error('the fault server is not running (use it inside a test)');
    return server;
  };
}
