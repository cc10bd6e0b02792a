/**
 * The bench's loopback Dollr stand-in. Runs in its OWN PROCESS (forked by bench/http.ts).
 *
 * Why a separate process: this box has 2 cores. If the server lived in the client's process,
 * every request would cost the client's event loop the server's parsing/serialisation too, so
 * the measured "client overhead" would be diluted by a constant server share and the ratios
 * would drift toward 1.0. Forked, the server gets its own event loop, its own V8 heap/GC and
 * (scheduler permitting) the other core; a worker thread would also have its own loop and heap
 * but shares the process (allocator, libuv threadpool, --cpu-prof output and cpuUsage()), which
 * makes client-side CPU accounting and profiles ambiguous.
 *
 * It answers:
 *   POST /v1/executions/payout        -> 200 fixed ExecutionResponse JSON, echoing the request's
 *                                        reference_id (the client checks that an execution's 2xx
 *                                        is the ExecutionResponse of the id it sent)
 *   POST /v1/jwt/client/obtain/token  -> 200 {access_token, expires_in}
 *   anything else                     -> 404 {"detail":"Not Found"}
 * Keep-alive is on (Node default) with a long idle timeout so connections survive between
 * rounds. The handler does constant work per request (drain body, write a pre-built buffer)
 * and keeps only the LAST request of each kind so the parent can check what variants send.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { EXECUTION_RESPONSE, PAYOUT_PATH, TOKEN_PATH, TOKEN_RESPONSE } from './fixtures.js';

export interface CapturedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ServerStats {
  type: 'stats';
  counts: { payout: number; token: number; other: number; connections: number };
  /** process.cpuUsage() of the server process, microseconds. */
  cpu: { user: number; system: number };
  lastPayout: CapturedRequest | null;
  lastToken: CapturedRequest | null;
  lastOther: CapturedRequest | null;
}

export type ParentMessage = { type: 'stats' } | { type: 'reset' } | { type: 'close' };
export type ServerMessage = { type: 'listening'; port: number } | ServerStats;

const payoutBuf = Buffer.from(JSON.stringify(EXECUTION_RESPONSE));
const payoutText = JSON.stringify(EXECUTION_RESPONSE);
const REFERENCE_ID = /"reference_id":"([^"]*)"/;
/** The fixed response with the request's reference_id (constant work: one regex, one replace). */
function payoutFor(chunks: Buffer[]): Buffer {
  const id = REFERENCE_ID.exec(Buffer.concat(chunks).toString('latin1'))?.[1];
  return id === undefined ? payoutBuf : Buffer.from(payoutText.replace(EXECUTION_RESPONSE.reference_id, id));
}
const tokenBuf = Buffer.from(JSON.stringify(TOKEN_RESPONSE));
const notFoundBuf = Buffer.from('{"detail":"Not Found"}');
const tokenLen = String(tokenBuf.length);
const notFoundLen = String(notFoundBuf.length);

const counts = { payout: 0, token: 0, other: 0, connections: 0 };
let lastPayout: { req: IncomingMessage; chunks: Buffer[] } | null = null;
let lastToken: { req: IncomingMessage; chunks: Buffer[] } | null = null;
let lastOther: { req: IncomingMessage; chunks: Buffer[] } | null = null;

function capture(entry: { req: IncomingMessage; chunks: Buffer[] } | null): CapturedRequest | null {
  if (!entry) return null;
  return {
    method: entry.req.method ?? '',
    url: entry.req.url ?? '',
    headers: { ...entry.req.headers },
    body: Buffer.concat(entry.chunks).toString('utf8'),
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const entry = { req, chunks };
    if (req.method === 'POST' && req.url === PAYOUT_PATH) {
      counts.payout++;
      lastPayout = entry;
      const answer = payoutFor(chunks);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(answer.length) });
      res.end(answer);
    } else if (req.method === 'POST' && req.url === TOKEN_PATH) {
      counts.token++;
      lastToken = entry;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': tokenLen });
      res.end(tokenBuf);
    } else {
      counts.other++;
      lastOther = entry;
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': notFoundLen });
      res.end(notFoundBuf);
    }
  });
});
server.on('connection', () => {
  counts.connections++;
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

function send(msg: ServerMessage): void {
  process.send?.(msg);
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'stats') {
    send({
      type: 'stats',
      counts: { ...counts },
      cpu: process.cpuUsage(),
      lastPayout: capture(lastPayout),
      lastToken: capture(lastToken),
      lastOther: capture(lastOther),
    });
  } else if (msg.type === 'reset') {
    counts.payout = counts.token = counts.other = counts.connections = 0;
    lastPayout = lastToken = lastOther = null;
  } else if (msg.type === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// If the parent dies, do not linger.
process.on('disconnect', () => process.exit(0));

// Loopback only, ephemeral port.
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') send({ type: 'listening', port: addr.port });
});
