/**
 * The runtime matrix's only hand-rolled server, kept for what no server claiming to be Dollr
 * would ever do: it refuses every bearer token with a 401 whose body echoes that token, so the
 * smoke can prove that an issued token never surfaces in an error. Its token endpoint checks
 * the client id and secret and issues a fresh token per call. Everything Dollr-like (payouts,
 * 422s, faults, client credentials) runs against startSandbox instead. Also `refusedUrl()`: a
 * loopback port where nothing listens. Loopback only; bodies capped; close() ends every socket.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export async function startTokenEchoServer(credentials: { clientId: string; clientSecret: string }): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (req.method === 'POST' && req.url === '/v1/jwt/client/obtain/token') {
        let body: { client_id?: unknown; client_secret?: unknown } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          // refused below
        }
        if (body.client_id !== credentials.clientId || body.client_secret !== credentials.clientSecret) {
          return answer(401, { detail: 'Could not validate credentials' });
        }
        return answer(200, { access_token: `echo-${randomBytes(16).toString('hex')}`, expires_in: 60 });
      }
      const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      answer(401, { detail: `Could not validate credentials: token ${token} is not valid` });
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

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
