/**
 * The HTTP front: node:http, loopback by default. Per request, in order: the Host check (403
 * before anything else); the control surface (its own guard, never faulted); the request log
 * entry and the fault lookup ('reset-before' cuts the connection and a redirect answers before
 * anything is read); the bearer check (a refused request's body is drained, never buffered);
 * the body (capped at 1 MiB, JSON only, nesting checked before it is parsed); validation; the
 * execution send counter (only for authenticated, valid requests, so junk costs no memory);
 * a `{status}` fault answers without processing; then the handler, and a check of the answer
 * against its 200 schema. The other faults act on the processed answer. close() destroys
 * every socket (stalled and dripping ones too) and pending timer, so nothing outlives it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isReferenceId } from '../../core/guards.js';
import { checkBearer } from './auth.js';
import { CONTROL_PREFIX } from './control.js';
import { faultLabel, faultStage } from './faults.js';
import type { FaultQueue } from './faults.js';
import { controlRefusal, hostAllowed, isJsonContentType } from './guard.js';
import type { GuardConfig } from './guard.js';
import type { Handler, OpRequest, Reply } from './reply.js';
import { asRecord, forbidden, unprocessable } from './reply.js';
import { matchRoute } from './spec.js';
import type { Spec } from './spec.js';
import type { SandboxStore } from './store.js';
import type { SandboxFault, SandboxRequest } from './types.js';
import { NO_BODY } from './validation.js';
import type { SpecValidator } from './validation.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Deeper JSON is refused (422) before JSON.parse, so no recursion (parse, validate, clone) can blow. */
export const MAX_JSON_DEPTH = 64;
const MAX_LOGGED_PATH = 512;
const JSON_ERROR = Symbol('invalid JSON');
const TOO_DEEP = Symbol('too deep');

export interface ServerParts {
  spec: Spec;
  validator: SpecValidator;
  store: SandboxStore;
  faults: FaultQueue;
  dispatch: Handler;
  control: (method: string, pathname: string, raw: string) => Reply;
  guard: GuardConfig;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

interface Live {
  timers: Set<NodeJS.Timeout>;
}

export async function listen(parts: ServerParts, host: string, port: number): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const live: Live = { timers: new Set() };
  const server: Server = createServer((req, res) => {
    handle(parts, req, res, live).catch(() => {
      if (!res.headersSent) send(res, { status: 500, body: { detail: 'Internal Server Error' } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the sandbox could not read its port');

  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const timer of live.timers) clearTimeout(timer);
        live.timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      })),
  };
}

async function handle(parts: ServerParts, req: IncomingMessage, res: ServerResponse, live: Live): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox.local');
  const method = (req.method ?? 'GET').toUpperCase();
  const isControl = url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`);

  if (!hostAllowed(req.headers.host, parts.guard)) {
    req.resume();
    res.setHeader('connection', 'close');
    return send(res, forbidden('Host not allowed: use the address the sandbox listens on, or a loopback name'));
  }

  if (isControl) {
    const refused = controlRefusal(req.headers, parts.guard);
    if (refused) {
      req.resume();
      return send(res, refused);
    }
    const raw = await readBody(req);
    if (raw === undefined) return tooLarge(res);
    return send(res, parts.control(method, url.pathname, raw.toString('utf8')));
  }

  const entry: SandboxRequest = {
    method: method.slice(0, 16),
    path: url.pathname.slice(0, MAX_LOGGED_PATH),
    operation: null,
    status: null,
    fault: null,
    time: new Date().toISOString(),
    referenceId: null,
  };
  parts.store.requests.set(parts.store.nextId('request'), entry);
  const answer = (reply: Reply): void => {
    entry.status = reply.status;
    send(res, reply);
  };

  const route = matchRoute(parts.spec, method, url.pathname);
  if (route.kind === 'operation') entry.operation = route.operation.template;
  const fault = parts.faults.take(method, url.pathname);
  if (fault) entry.fault = faultLabel(fault);
  if (fault === 'reset-before') return cut(req.socket);
  if (typeof fault === 'object' && 'redirect' in fault) {
    req.resume();
    return answer({ status: fault.status ?? 307, body: { detail: 'Redirected' }, headers: { location: fault.redirect } });
  }

  const outcome = await evaluate(parts, req, route);
  let reply: Reply;
  if ('reply' in outcome) {
    reply = outcome.reply;
  } else {
    const request = outcome.request;
    entry.referenceId = referenceIdOf(request);
    if (request.operation.method === 'POST' && request.operation.template.includes('/executions/') && entry.referenceId) {
      parts.store.countSend(entry.referenceId);
    }
    reply = fault && faultStage(fault) === 'instead' ? statusFault(fault) : processRequest(parts, request);
  }
  // The fault replaces or mangles whatever the answer is, a refusal included (a gateway does not
  // know what the server decided).
  if (!fault) return answer(reply);
  if (typeof fault === 'object' && 'status' in fault) return answer(statusFault(fault));
  if (fault === 'reset-after') return cut(req.socket);
  entry.status = reply.status;
  if (typeof fault === 'object' && 'delayMs' in fault) {
    return later(live, res, fault.delayMs, () => send(res, reply));
  }
  const payload = Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json', 'content-length': payload.length });
  if (fault === 'stall') {
    // Headers now, body never: the socket is held until the client gives up or close().
    res.flushHeaders();
    return;
  }
  if (fault === 'truncate') {
    const half = payload.subarray(0, Math.floor(payload.length / 2));
    res.write(half, () => req.socket.destroy());
    return;
  }
  drip(live, res, payload, fault.dripMs);
}

type Evaluation = { reply: Reply } | { request: OpRequest };

/** Everything up to the handler: auth, body, validation. A refusal, or the request to process. */
async function evaluate(parts: ServerParts, req: IncomingMessage, route: ReturnType<typeof matchRoute>): Promise<Evaluation> {
  if (route.kind !== 'operation') {
    req.resume();
    return { reply: route.kind === 'not-found' ? { status: 404, body: { detail: 'Not Found' } } : { status: 405, body: { detail: 'Method Not Allowed' } } };
  }
  const { operation, params } = route;
  const now = Date.now();
  if (operation.secured) {
    const denied = checkBearer(parts.store, req.headers.authorization, now);
    if (denied) {
      req.resume();
      return { reply: denied };
    }
  }
  const raw = await readBody(req);
  if (raw === undefined) return { reply: { status: 413, body: { detail: 'Request body too large' }, headers: { connection: 'close' } } };
  const type = req.headers['content-type'];
  if (operation.body && raw.length > 0 && type !== undefined && !isJsonContentType(type)) {
    // FastAPI does not read a non-JSON body as JSON: the model then gets no object to validate.
    return { reply: unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }]) };
  }
  const body = parseBody(raw);
  if (body === TOO_DEEP) return { reply: unprocessable([{ loc: ['body'], msg: `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, type: 'json_invalid' }]) };
  if (body === JSON_ERROR) return { reply: unprocessable([{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }]) };
  const url = new URL(req.url ?? '/', 'http://sandbox.local');
  const checked = parts.validator.request(operation, params, url.searchParams, body);
  if (checked.issues.length > 0) return { reply: unprocessable(checked.issues) };
  return { request: { operation, path: checked.path, query: checked.query, body, now } };
}

function processRequest(parts: ServerParts, request: OpRequest): Reply {
  const reply = parts.dispatch(request);
  if (reply.status === 200) {
    const violations = parts.validator.response(request.operation, reply.body);
    if (violations.length > 0) {
      return { status: 500, body: { detail: `sandbox answer violates the ${request.operation.operationId} 200 schema`, violations } };
    }
  }
  return reply;
}

/** The execution's reference id from a validated request, only when it is a UUID (never a 1 MB string). */
function referenceIdOf(request: OpRequest): string | null {
  const candidate = request.path.reference_id ?? asRecord(request.body).reference_id;
  return isReferenceId(candidate) ? candidate : null;
}

function statusFault(fault: SandboxFault): Reply {
  const f = fault as { status: number; retryAfter?: number | string; body?: unknown };
  const headers: Record<string, string> = f.retryAfter === undefined ? {} : { 'retry-after': String(f.retryAfter) };
  return { status: f.status, body: f.body ?? { detail: defaultDetail(f.status) }, headers };
}

/** Runs `act` after `ms` unless the response closes first; close() clears it too. */
function later(live: Live, res: ServerResponse, ms: number, act: () => void): void {
  const cancel = (): void => {
    clearTimeout(timer);
    live.timers.delete(timer);
  };
  const timer = setTimeout(() => {
    live.timers.delete(timer);
    res.off('close', cancel);
    act();
  }, ms);
  live.timers.add(timer);
  res.once('close', cancel);
}

function drip(live: Live, res: ServerResponse, payload: Buffer, everyMs: number, offset = 0): void {
  if (res.destroyed) return;
  if (offset >= payload.length) {
    res.end();
    return;
  }
  res.write(payload.subarray(offset, offset + 1));
  later(live, res, everyMs, () => drip(live, res, payload, everyMs, offset + 1));
}

/** Parsed JSON, NO_BODY, JSON_ERROR, or TOO_DEEP (scanned before parsing). */
function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return NO_BODY;
  if (depthOf(raw) > MAX_JSON_DEPTH) return TOO_DEEP;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return JSON_ERROR;
  }
}

/** The deepest `[`/`{` nesting outside strings: a linear scan, no recursion. */
export function depthOf(raw: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** The whole body, or undefined past MAX_BODY_BYTES (bounded memory). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(res: ServerResponse): void {
  res.setHeader('connection', 'close');
  send(res, { status: 413, body: { detail: 'Request body too large' } });
}

// A TCP reset (RST), as a dropped connection looks to a client; plain destroy where unsupported.
function cut(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed || res.headersSent) return;
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function defaultDetail(status: number): string {
  const known: Record<number, string> = {
    400: 'Bad Request',
    401: 'Could not validate credentials',
    403: 'Forbidden',
    404: 'Not Found',
    408: 'Request Timeout',
    409: 'Conflict',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return known[status] ?? `HTTP ${status}`;
}

