// A raw node:http server for behaviours NO server claiming to be Dollr would show: redirects,
// headers followed by a body that never finishes, bodies dripping a byte at a time, bodies
// cut mid-way, answers that are not what Dollr sends, abusive Retry-After. It stands for a
// broken or malicious gateway or proxy in front of Dollr, which is why it is not the sandbox.
// Every request is recorded (method, path, headers, body) with the time it arrived.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { executionResponse } from './fixtures.js';

export interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Handler = (req: Seen, res: ServerResponse, index: number) => void | Promise<void>;

export interface HostileServer {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly requests: Seen[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startHostileServer(): Promise<HostileServer> {
  const requests: Seen[] = [];
  const sockets = new Set<Socket>();
  let handler: Handler = (_req, res) => json(res, 404, { detail: 'Not Found' });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(seen);
      Promise.resolve(handler(seen, res, requests.length - 1)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    handle(next) {
      handler = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A redirect to `location`, with a body (a server that follows would have to drop it). */
export function redirect(res: ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location, 'content-type': 'text/plain' });
  res.end(`moved to ${location}`);
}

/** 200 headers with a declared length, then nothing: the body never finishes (until the socket is destroyed). */
export function stall(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': '100000' });
  res.write('{"status":');
}

/** 200 headers, then one byte every `everyMs` of a long JSON body, while the client listens. */
export function drip(res: ServerResponse, everyMs: number, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  const body = `{"pad":"${'x'.repeat(10_000)}"}`;
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed || i >= body.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body[i++]);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Declares more bytes than it sends, then closes the connection mid-body. */
export function truncate(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': '400' });
  res.write('{"reference_id":"');
  setTimeout(() => res.destroy(), 20);
}

/** Never answers at all (not even headers) until the socket is destroyed. */
export function silence(_res: ServerResponse): void {
  // nothing
}

/** A valid ExecutionResponse of a payout for `referenceId` (the suite's one fixture, PROCESSING by default). */
export const execution = (referenceId: string, status = 'PROCESSING'): Record<string, unknown> => executionResponse('payout', referenceId, status);

/** The reference_id of an execution POST body, or the last path segment of a status lookup. */
export function referenceOf(req: Seen): string {
  if (req.method === 'POST') return (JSON.parse(req.body) as { reference_id: string }).reference_id;
  return decodeURIComponent(req.path.split('?')[0]!.split('/').pop()!);
}
