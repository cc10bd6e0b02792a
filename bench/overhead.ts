/**
 * Client-layer overhead without a network: every row gets a stub `fetch` that returns a
 * pre-built 200 ExecutionResponse immediately, so what remains is the JavaScript each layer
 * runs per call (building the request, headers, middleware, timers, JSON parsing of the stub
 * body — the last is the same for every row). Pure CPU, far less noisy than loopback HTTP on a
 * shared box, and it attributes the HTTP gap: "added µs/call" is the row's cost over bare fetch.
 *
 * What it cannot see: work undici does on what it is handed (e.g. re-wrapping a Request object,
 * registering an AbortSignal listener); the HTTP rows and the diag rows there include that.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../src/generated/schema.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOCUMENTED_PAYOUT_BODY,
  EXECUTION_RESPONSE,
  PAYOUT_PATH,
  STATIC_TOKEN,
  TOKEN_PATH,
  TOKEN_RESPONSE,
} from './fixtures.js';
import { loadDollr } from './http.js';
import { spread, type Spread } from './stats.js';

export interface OverheadRow {
  variant: string;
  label: string;
  cpuUsPerCall: Spread;
  /** Median over rounds of (row CPU/call − bare CPU/call in the same round). */
  addedUsPerCall: Spread;
}

export interface OverheadResult {
  callsPerRound: number;
  rounds: number;
  rows: OverheadRow[];
  skipped: { variant: string; reason: string }[];
}

const BASE = 'http://127.0.0.1:9';
const payoutText = JSON.stringify(EXECUTION_RESPONSE);
const tokenText = JSON.stringify(TOKEN_RESPONSE);
const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payoutText)) };
const tokenHeaders = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(tokenText)) };

const REFERENCE_ID = /"reference_id":"([^"]*)"/;

/**
 * Answers like the bench server, without I/O: echoes the sent reference_id (the client checks
 * that an execution's 2xx is its own), reads nothing else it is given.
 */
const stubFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.endsWith(TOKEN_PATH)) return Promise.resolve(new Response(tokenText, { status: 200, headers: tokenHeaders }));
  const id = typeof init?.body === 'string' ? REFERENCE_ID.exec(init.body)?.[1] : undefined;
  const text = id === undefined ? payoutText : payoutText.replace(EXECUTION_RESPONSE.reference_id, id);
  return Promise.resolve(new Response(text, { status: 200, headers }));
};

type Call = () => Promise<unknown>;

async function rows(): Promise<{ id: string; label: string; make: () => Promise<Call | string> }[]> {
  const body = DOCUMENTED_PAYOUT_BODY;
  const dollr = await loadDollr();
  const needDollr = <T>(f: (m: Exclude<typeof dollr, string>) => T): (() => Promise<T | string>) =>
    async () => (typeof dollr === 'string' ? dollr : f(dollr));
  return [
    {
      id: 'bare-fetch',
      label: 'bare fetch (limit)',
      make: async () => async () => {
        const res = await stubFetch(BASE + PAYOUT_PATH, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${STATIC_TOKEN}` },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error('not ok');
        return res.json();
      },
    },
    {
      id: 'openapi-fetch',
      label: 'openapi-fetch + auth middleware (peer)',
      make: async () => {
        const client = createClient<paths>({ baseUrl: BASE, fetch: stubFetch as typeof fetch });
        const auth: Middleware = {
          onRequest({ request }) {
            request.headers.set('Authorization', `Bearer ${STATIC_TOKEN}`);
            return request;
          },
        };
        client.use(auth);
        const b = { ...body };
        return async () => (await client.POST('/{version}/executions/payout', { params: { path: { version: 'v1' } }, body: b })).data;
      },
    },
    {
      id: 'dollr-post',
      label: 'dollr client.POST, static token',
      make: needDollr((m) => {
        const client = m.createDollrClient({ baseUrl: BASE, auth: STATIC_TOKEN, fetch: stubFetch });
        const b = { ...body };
        return async () => (await client.POST('/v1/executions/payout', { body: b })).data;
      }),
    },
    {
      id: 'dollr-post-notimeout',
      label: 'dollr client.POST, timeoutMs: Infinity',
      make: needDollr((m) => {
        const client = m.createDollrClient({ baseUrl: BASE, auth: STATIC_TOKEN, fetch: stubFetch, timeoutMs: Number.POSITIVE_INFINITY });
        const b = { ...body };
        return async () => (await client.POST('/v1/executions/payout', { body: b })).data;
      }),
    },
    {
      id: 'dollr-post-cc',
      label: 'dollr client.POST, client-credentials (cached)',
      make: needDollr((m) => {
        const client = m.createDollrClient({ baseUrl: BASE, auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, fetch: stubFetch });
        const b = { ...body };
        return async () => (await client.POST('/v1/executions/payout', { body: b })).data;
      }),
    },
    {
      id: 'dollr-payout',
      label: 'dollr client.payout + createPasscode/serverDevice',
      make: needDollr((m) => {
        const client = m.createDollrClient({ baseUrl: BASE, auth: STATIC_TOKEN, fetch: stubFetch });
        const p = body;
        const d = p.passcode.device;
        return async () =>
          client.payout({
            sessionId: p.session_id,
            payoutAccountId: p.payout_account_id,
            referenceId: m.newReferenceId(),
            passcode: m.createPasscode({
              code: p.passcode.token.code,
              phone: p.passcode.token.phone,
              device: m.serverDevice({ clientIp: d.client_ip, name: d.name, userAgent: d.user_agent }),
            }),
          });
      }),
    },
    {
      id: 'payout-helpers',
      label: 'newReferenceId + createPasscode + serverDevice only',
      make: needDollr((m) => {
        const p = body;
        const d = p.passcode.device;
        return async () => [
          m.newReferenceId(),
          m.createPasscode({
            code: p.passcode.token.code,
            phone: p.passcode.token.phone,
            device: m.serverDevice({ clientIp: d.client_ip, name: d.name, userAgent: d.user_agent }),
          }),
        ];
      }),
    },
  ];
}

export async function runOverheadBench(opts: {
  callsPerRound: number;
  rounds: number;
  gc?: () => void;
  log?: (s: string) => void;
}): Promise<OverheadResult> {
  const defs = await rows();
  const live: { id: string; label: string; call: Call }[] = [];
  const skipped: OverheadResult['skipped'] = [];
  for (const d of defs) {
    const call = await d.make();
    if (typeof call === 'string') skipped.push({ variant: d.id, reason: call });
    else {
      try {
        const r = (await call()) as { reference_id?: string } | unknown[];
        if (d.id !== 'payout-helpers' && typeof (r as { reference_id?: string }).reference_id !== 'string')
          throw new Error(`unexpected result ${JSON.stringify(r).slice(0, 120)}`);
        live.push({ id: d.id, label: d.label, call });
      } catch (err) {
        skipped.push({ variant: d.id, reason: (err as Error).message });
      }
    }
  }
  const n = opts.callsPerRound;
  for (const l of live) for (let i = 0; i < n; i++) await l.call(); // warm-up
  const cpu = new Map<string, number[]>();
  for (let r = 0; r < opts.rounds; r++) {
    for (let i = 0; i < live.length; i++) {
      const l = live[(i + r) % live.length];
      if (!l) continue;
      opts.gc?.();
      const c0 = process.cpuUsage();
      for (let k = 0; k < n; k++) await l.call();
      const c = process.cpuUsage(c0);
      cpu.set(l.id, [...(cpu.get(l.id) ?? []), (c.user + c.system) / n]);
    }
  }
  const bare = cpu.get('bare-fetch') ?? [];
  return {
    callsPerRound: n,
    rounds: opts.rounds,
    rows: live.map((l) => {
      const s = cpu.get(l.id) ?? [];
      return {
        variant: l.id,
        label: l.label,
        cpuUsPerCall: spread(s),
        addedUsPerCall: spread(s.map((x, i) => x - (l.id === 'payout-helpers' ? 0 : (bare[i] ?? Number.NaN)))),
      };
    }),
    skipped,
  };
}
