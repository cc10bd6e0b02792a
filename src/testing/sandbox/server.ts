/**
 * The HTTP front: node:http on loopback. Per request, in order: control surface (never faulted);
 * fault lookup ('reset-before' cuts the connection before anything is read); body read (capped
 * at 1 MiB) and the execution send counter; a `{status}` fault answers without processing;
 * then route, bearer check, request validation, handler, and a check of the answer against its
 * 200 schema. 'reset-after' and `{delayMs}` act only once the request has been processed.
 * close() destroys every socket and pending delay, so nothing outlives it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkBearer } from './auth.js';
import { CONTROL_PREFIX } from './control.js';
import type { Handler, Reply } from './reply.js';
import { unprocessable } from './reply.js';
import { matchRoute } from './spec.js';
import type { Spec } from './spec.js';
import type { FaultQueue } from './faults.js';
import type { SandboxStore } from './store.js';
import { NO_BODY } from './validation.js';
import type { SpecValidator } from './validation.js';

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_ERROR = Symbol('invalid JSON');

export interface ServerParts {
  spec: Spec;
  validator: SpecValidator;
  store: SandboxStore;
  faults: FaultQueue;
  dispatch: Handler;
  control: (method: string, pathname: string, raw: string) => Reply;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export async function listen(parts: ServerParts, host: string, port: number): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    handle(parts, req, res, timers).catch(() => {
      if (!res.headersSent) send(res, { status: 500, body: { detail: 'Internal Server Error' } });
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
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      })),
  };
}

async function handle(parts: ServerParts, req: IncomingMessage, res: ServerResponse, timers: Set<NodeJS.Timeout>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox.local');
  const method = (req.method ?? 'GET').toUpperCase();

  if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
    const raw = await readBody(req);
    if (raw === undefined) return tooLarge(res);
    return send(res, parts.control(method, url.pathname, raw.toString('utf8')));
  }

  const fault = parts.faults.take(method, url.pathname);
  if (fault === 'reset-before') return cut(req.socket);

  const raw = await readBody(req);
  if (raw === undefined) return tooLarge(res);
  const body = parseBody(raw);
  const route = matchRoute(parts.spec, method, url.pathname);
  if (route.kind === 'operation' && method === 'POST' && route.operation.template.includes('/executions/')) {
    const referenceId = (body as { reference_id?: unknown } | null)?.reference_id;
    if (typeof referenceId === 'string') parts.store.countSend(referenceId);
  }

  if (typeof fault === 'object' && 'status' in fault) {
    const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
    return send(res, { status: fault.status, body: fault.body ?? { detail: defaultDetail(fault.status) }, headers });
  }

  let reply: Reply;
  if (route.kind === 'not-found') reply = { status: 404, body: { detail: 'Not Found' } };
  else if (route.kind === 'method-not-allowed') reply = { status: 405, body: { detail: 'Method Not Allowed' } };
  else reply = answer(parts, route.operation, route.params, url.searchParams, req.headers.authorization, body);

  if (fault === 'reset-after') return cut(req.socket);
  if (typeof fault === 'object' && 'delayMs' in fault) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(res, reply);
    }, fault.delayMs);
    timers.add(timer);
    res.once('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
    return;
  }
  send(res, reply);
}

function answer(
  parts: ServerParts,
  operation: Parameters<Handler>[0]['operation'],
  params: Record<string, string>,
  search: URLSearchParams,
  authorization: string | undefined,
  body: unknown,
): Reply {
  const now = Date.now();
  if (operation.secured) {
    const denied = checkBearer(parts.store, authorization, now);
    if (denied) return denied;
  }
  if (body === JSON_ERROR) return unprocessable([{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }]);
  const checked = parts.validator.request(operation, params, search, body);
  if (checked.issues.length > 0) return unprocessable(checked.issues);
  const reply = parts.dispatch({ operation, path: checked.path, query: checked.query, body, now });
  if (reply.status === 200) {
    const violations = parts.validator.response(operation, reply.body);
    // Loud on purpose: a sandbox that drifted from the spec must not pass silently.
    if (violations.length > 0) return { status: 500, body: { detail: 'Sandbox response breaks the response schema', violations } };
  }
  return reply;
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return NO_BODY;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return JSON_ERROR;
  }
}

/** The whole body, or undefined past MAX_BODY_BYTES (bounded memory). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
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
  if (res.writableEnded || res.destroyed) return;
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
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
