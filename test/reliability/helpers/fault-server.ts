// A loopback `node:http` server that behaves like Dollr for executions, with fault injection.
//
// Dollr-like by default (see ../../../../shared/dollr-api-notes.md, "Recovering from a lost
// response"):
// - `POST /v1/executions/{kind}` records the execution by `reference_id` and answers 200 with
//   an ExecutionResponse; a `reference_id` already recorded gets 422 on `body.reference_id`
//   (counted as a duplicate, never processed again); a missing or invalid bearer gets 401.
// - `GET /v1/status/{kind}/{reference_id}` answers 200 with the recorded ExecutionResponse, or
//   404 `{"detail":"Not Found"}`.
// - The token endpoint issues `tok-SECRET-<n>-<random>` tokens valid `tokenMinutes`.
// - Any other path answers 404 unless the test's plan says otherwise.
//
// Per-test plans script faults, separately for executions (and other paths), for status
// lookups and for the token endpoint. A plan returns `undefined` (behave like Dollr) or a
// Reply: answer without processing, destroy the socket before or after processing, or
// process and then answer something else (a 503, a late answer). Every request is recorded
// with its raw bytes, its arrival time and whether it was processed.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export const TOKEN_PATH = '/v1/jwt/client/obtain/token';
export const PAYOUT_PATH = '/v1/executions/payout';
export const TOKEN_PREFIX = 'tok-SECRET-';
/** A bearer token the server always accepts (until revoked), for tests without client credentials. */
export const STATIC_TOKEN = `${TOKEN_PREFIX}static-5530`;

export const KINDS = ['collection', 'payout', 'transfer', 'refund'] as const;
export type Kind = (typeof KINDS)[number];
export const executionPath = (kind: Kind): string => `/v1/executions/${kind}`;
export const statusPath = (kind: Kind, referenceId: string): string => `/v1/status/${kind}/${referenceId}`;

const EXECUTION = /^\/v1\/executions\/(collection|payout|transfer|refund)$/;
const STATUS = /^\/v1\/status\/(collection|payout|transfer|refund)\/([^/]+)$/;
const UUID_V4 = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/i;

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
  /** True once the server acted on the request (an execution recorded, a lookup answered, ...). */
  processed: boolean;
  /** What the client got: an HTTP status, or 'reset' for a destroyed socket. */
  answered: number | 'reset' | undefined;
}

export type Reply =
  /** Answer this instead of Dollr, WITHOUT its effect (a refusal: 429, 403, 422, a 503 before processing). */
  | { kind: 'reply'; status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** Destroy the socket without processing: nothing happened server-side. */
  | { kind: 'reset-before' }
  /** Process as Dollr would (an execution is recorded), then destroy the socket: the answer is lost. */
  | { kind: 'reset-after' }
  /**
   * Process as Dollr would, then answer: Dollr's own answer, or `status`/`body` instead (a 503
   * after processing), `delayMs` late (a timeout after processing).
   */
  | { kind: 'process'; status?: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

/** Decides the answer to one request: `undefined` behaves like Dollr. `nth`: earlier requests on the same path. */
export type Plan = (request: RecordedRequest, nth: number) => Reply | undefined;

export interface TokenGrant {
  access_token: string;
  expires_in: number;
  issuedAt: number;
}

/** One execution the server processed, by reference_id. */
export interface RecordedExecution {
  kind: Kind;
  referenceId: string;
  /** The bytes that were processed. */
  body: Buffer;
  /** What a status lookup answers (tests may change `status`). */
  response: Record<string, unknown>;
  /** `index` of the request that was processed (-1 when seeded). */
  processedBy: number;
}

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests to one path. */
  on(path: string): RecordedRequest[];
  /** Executions processed, by reference_id. */
  readonly executions: Map<string, RecordedExecution>;
  /** Execution POSTs refused with 422 because their reference_id was already recorded, by reference_id. */
  readonly duplicates: Map<string, number>;
  /** Times the server processed an execution with this reference_id (Dollr-like: at most 1). */
  processedCount(referenceId: string): number;
  /** Records an execution as if an earlier, unobserved request had processed it. */
  seed(kind: Kind, referenceId: string, status?: string): RecordedExecution;
  /** Plan for executions and every other path but the token endpoint and status lookups. */
  plan: Plan;
  /** Plan for `GET /v1/status/{kind}/{reference_id}`. */
  lookupPlan: Plan;
  /** Plan for the token endpoint; default issues tokens valid `tokenMinutes`. */
  tokenPlan: Plan;
  /** Lifetime (minutes) of tokens the default token plan issues. */
  tokenMinutes: number;
  /** Tokens issued so far by the default token plan. */
  readonly grants: TokenGrant[];
  /** From now on, `token` gets 401 (as if revoked server-side). */
  revoke(token: string): void;
  /** True when `authorization` carries STATIC_TOKEN or an issued, unexpired (by Date.now()), unrevoked token. */
  isValidBearer(headers: IncomingHttpHeaders): boolean;
  /** Forgets requests, executions, grants and revocations; restores the default plans. */
  reset(): void;
  close(): Promise<void>;
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  kind: 'reply',
  status: 200,
  body,
  ...(headers && { headers }),
});
/** An answer without processing. */
export const status = (code: number, body: unknown = { detail: 'fault' }, headers?: Record<string, string>): Reply => ({
  kind: 'reply',
  status: code,
  body,
  ...(headers && { headers }),
});
export const RESET_BEFORE: Reply = { kind: 'reset-before' };
export const RESET_AFTER: Reply = { kind: 'reset-after' };
/** Processed, then answered `code` (the effect happened, the client sees a failure). */
export const processedThen = (code: number, body: unknown = { detail: 'fault' }): Reply => ({ kind: 'process', status: code, body });
/** Processed, then answered late (the client's timeout fires first). */
export const processedLate = (delayMs: number): Reply => ({ kind: 'process', delayMs });

export const NOT_FOUND = { detail: 'Not Found' };
export const duplicateDetail = (): unknown => ({
  detail: [{ loc: ['body', 'reference_id'], msg: 'Value error, reference_id already exists', type: 'value_error' }],
});

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The reference_id in a request's JSON body, if any. */
export function referenceIdOf(request: { body: Buffer }): string | undefined {
  const id = parseJson(request.body)?.reference_id;
  return typeof id === 'string' ? id : undefined;
}

/** A valid ExecutionResponse of `kind` for `referenceId`. */
export function executionResponse(kind: Kind, referenceId: string, executionStatus = 'PENDING'): Record<string, unknown> {
  return {
    reference_id: referenceId,
    provider_transaction_id: null,
    status: executionStatus,
    payer_amount: 10,
    payer_currency: 'USD',
    payee_amount: 1900,
    payee_currency: 'LRD',
    operation_type: kind.toUpperCase(),
    gateway_message: null,
    wallet_message: null,
  };
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string> | undefined;
}

/** Starts on 127.0.0.1, on `port` (default 0: any free port). */
export async function startFaultServer(port = 0): Promise<FaultServer> {
  const requests: RecordedRequest[] = [];
  const grants: TokenGrant[] = [];
  const executions = new Map<string, RecordedExecution>();
  const duplicates = new Map<string, number>();
  const processedTimes = new Map<string, number>();
  const revoked = new Set<string>();
  const perPath = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sockets = new Set<Socket>();

  const dollr: Plan = () => undefined;
  const state = { plan: dollr, lookupPlan: dollr, tokenPlan: dollr, tokenMinutes: 60 };

  function isValidBearer(headers: IncomingHttpHeaders): boolean {
    const token = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    if (token === undefined || revoked.has(token)) return false;
    if (token === STATIC_TOKEN) return true;
    const grant = grants.find((g) => g.access_token === token);
    return grant !== undefined && Date.now() < grant.issuedAt + grant.expires_in * 60_000;
  }

  function record(kind: Kind, referenceId: string, body: Buffer, by: number, executionStatus = 'PENDING'): RecordedExecution {
    const execution: RecordedExecution = { kind, referenceId, body, response: executionResponse(kind, referenceId, executionStatus), processedBy: by };
    executions.set(referenceId, execution);
    processedTimes.set(referenceId, (processedTimes.get(referenceId) ?? 0) + 1);
    return execution;
  }

  /** What Dollr does with the request. Sets `request.processed` when it acted on it. */
  function behave(request: RecordedRequest): Answer {
    const { path, method } = request;
    if (path === TOKEN_PATH && method === 'POST') {
      const grant = {
        access_token: `${TOKEN_PREFIX}${grants.length + 1}-${Math.random().toString(36).slice(2, 10)}`,
        expires_in: state.tokenMinutes,
        issuedAt: Date.now(),
      };
      grants.push(grant);
      request.processed = true;
      return { status: 200, body: { access_token: grant.access_token, expires_in: grant.expires_in } };
    }
    const execution = method === 'POST' ? EXECUTION.exec(path) : null;
    const lookup = method === 'GET' ? STATUS.exec(path) : null;
    if (!execution && !lookup) return { status: 404, body: NOT_FOUND };
    if (!isValidBearer(request.headers)) return { status: 401, body: { detail: 'Could not validate credentials' } };
    if (lookup) {
      request.processed = true;
      const found = executions.get(decodeURIComponent(lookup[2] as string));
      return found && found.kind === lookup[1] ? { status: 200, body: found.response } : { status: 404, body: NOT_FOUND };
    }
    const referenceId = referenceIdOf(request);
    if (referenceId === undefined || !UUID_V4.test(referenceId)) {
      return {
        status: 422,
        body: { detail: [{ loc: ['body', 'reference_id'], msg: 'Value error, reference_id must be a version-4 UUID', type: 'value_error' }] },
      };
    }
    if (executions.has(referenceId)) {
      duplicates.set(referenceId, (duplicates.get(referenceId) ?? 0) + 1);
      return { status: 422, body: duplicateDetail() };
    }
    request.processed = true;
    return { status: 200, body: record(execution?.[1] as Kind, referenceId, request.body, request.index).response };
  }

  function send(res: ServerResponse, request: RecordedRequest, answer: Answer): void {
    if (res.destroyed) return;
    request.answered = answer.status;
    const payload = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(payload);
  }

  function cut(req: IncomingMessage, request: RecordedRequest): void {
    request.answered = 'reset';
    req.socket.destroy();
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const path = (req.url ?? '').replace(/\?.*$/, '');
    const nth = perPath.get(path) ?? 0;
    perPath.set(path, nth + 1);
    const request: RecordedRequest = {
      index: requests.length,
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      arrivedAt: Date.now(),
      arrivedAtMono: performance.now(),
      processed: false,
      answered: undefined,
    };
    requests.push(request);
    const plan = path === TOKEN_PATH ? state.tokenPlan : STATUS.test(path) ? state.lookupPlan : state.plan;
    let reply: Reply | undefined;
    try {
      reply = plan(request, nth);
    } catch (error) {
      reply = status(599, { detail: `plan threw: ${String(error)}` });
    }
    reply ??= { kind: 'process' };
    if (reply.kind === 'reset-before') return cut(req, request);
    let answer: Answer;
    let delayMs = 0;
    if (reply.kind === 'reply') {
      // A scripted answer: a refusal processes nothing; a scripted 2xx (other paths) counts as acted on.
      request.processed = reply.status >= 200 && reply.status < 300;
      answer = { status: reply.status, body: reply.body, headers: reply.headers };
      delayMs = reply.delayMs ?? 0;
    } else {
      const dollrAnswer = behave(request);
      if (reply.kind === 'reset-after') {
        // Not every request is processed (a 401 is not): the plan decides the loss, Dollr the effect.
        request.processed ||= !EXECUTION.test(path) && !STATUS.test(path);
        return cut(req, request);
      }
      answer = reply.status === undefined ? dollrAnswer : { status: reply.status, body: reply.body, headers: reply.headers };
      delayMs = reply.delayMs ?? 0;
    }
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(res, request, answer);
      }, delayMs);
      timers.add(timer);
      return;
    }
    send(res, request, answer);
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
    executions,
    duplicates,
    processedCount: (referenceId) => processedTimes.get(referenceId) ?? 0,
    seed: (kind, referenceId, executionStatus) => record(kind, referenceId, Buffer.alloc(0), -1, executionStatus),
    get plan() {
      return state.plan;
    },
    set plan(plan: Plan) {
      state.plan = plan;
    },
    get lookupPlan() {
      return state.lookupPlan;
    },
    set lookupPlan(plan: Plan) {
      state.lookupPlan = plan;
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
    revoke: (token) => revoked.add(token),
    isValidBearer,
    reset() {
      state.plan = dollr;
      state.lookupPlan = dollr;
      state.tokenPlan = dollr;
      state.tokenMinutes = 60;
      requests.length = 0;
      grants.length = 0;
      executions.clear();
      duplicates.clear();
      processedTimes.clear();
      revoked.clear();
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
