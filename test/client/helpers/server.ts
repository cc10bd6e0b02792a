// A raw node:http server on 127.0.0.1, NOT a Dollr: tests that need Dollr (executions recorded,
// lookups, duplicates, faults) use the sandbox (test/reliability/helpers/dollr-sandbox.ts).
// This one stays for what no server claiming to be Dollr does or shows: handing back every
// request as it arrived (headers, user agent, literal body bytes) for the test to read;
// issuing the exact tokens a test names (tok-A, tok-B) under a faked clock, or refusing all
// but one; answering under a gateway path prefix; scripted answers to paths outside the spec;
// sockets held open with no answer. Each test installs a handler; every request is recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: RecordedRequest, res: http.ServerResponse, index: number) => void | Promise<void>;

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests other than the token endpoint. */
  apiRequests(): RecordedRequest[];
  tokenRequests(): RecordedRequest[];
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export const TOKEN_PATH = '/v1/jwt/client/obtain/token';

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function executionResponse(referenceId: string, status = 'PENDING') {
  return {
    reference_id: referenceId,
    status,
    payer_amount: 10,
    payer_currency: 'USD',
    payee_currency: 'USD',
    payee_amount: 10,
    operation_type: 'PAYOUT',
  };
}

/** Answers the token endpoint with `tokens[i]` (cycling the last) and everything else with `api`. */
export function withTokenEndpoint(api: Handler, tokens: string[] = ['token-1'], expiresInMinutes = 60): Handler {
  let issued = 0;
  return (req, res, index) => {
    if (req.url === TOKEN_PATH) {
      const token = tokens[Math.min(issued++, tokens.length - 1)];
      sendJson(res, 200, { access_token: token, expires_in: expiresInMinutes });
      return;
    }
    return api(req, res, index);
  };
}

export async function startTestServer(initial?: Handler): Promise<TestServer> {
  let handler: Handler = initial ?? ((_req, res) => sendJson(res, 404, { detail: 'Not Found' }));
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded, res, requests.length - 1)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : undefined);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    apiRequests: () => requests.filter((r) => r.url !== TOKEN_PATH),
    tokenRequests: () => requests.filter((r) => r.url === TOKEN_PATH),
    handle(next) {
      handler = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port with nothing listening: connecting to it fails with ECONNREFUSED. */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
