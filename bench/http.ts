/**
 * HTTP overhead bench: bare fetch vs openapi-fetch vs dollr-client, against a loopback server
 * running in a forked process (see bench/server.ts for why it is a separate process).
 *
 * Method
 * - One client process (this one). Every variant uses the same global fetch (undici) and its
 *   default keep-alive pool, so the only difference between rows is the client layer.
 * - Units are (variant, mode) pairs; mode is "seq" (one request in flight) or "c32" (32 in flight).
 * - After a warm-up pass over every unit, R rounds run; each round runs every unit once with a
 *   fixed request count, in an order rotated by one each round (no unit is always first/last).
 *   A full GC is forced before each unit so one unit's garbage is not collected on the next one's clock.
 * - Per unit and round: wall time, client-process CPU (process.cpuUsage) and server-process CPU.
 *   Reported: median req/s and µs/request over rounds with min/max and IQR, and the ratio to bare
 *   fetch computed PER ROUND (paired, same round, same machine state) then the median of those.
 * - Before measuring, each variant sends one request and the server's capture of it is checked
 *   (path, bearer, content-type, body shape) so all rows do the same wire work.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../src/generated/schema.js';
import type * as DollrIndex from '../src/index.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  DOCUMENTED_PAYOUT_BODY,
  EXECUTION_RESPONSE,
  ISSUED_TOKEN,
  PAYOUT_PATH,
  STATIC_TOKEN,
  TOKEN_PATH,
} from './fixtures.js';
import type { CapturedRequest, ParentMessage, ServerMessage, ServerStats } from './server.js';
import { spread, type Spread } from './stats.js';

export type Mode = 'seq' | 'c32';
export const MODES: readonly Mode[] = ['seq', 'c32'];
export const CONCURRENCY = 32;

/**
 * The deadline floor: bare fetch plus what any client that keeps a deadline on every request
 * must add (one AbortSignal and one timer). On Node 20 the deadline alone costs several percent of
 * loopback throughput; a client's "x floor" says what it costs beyond that unavoidable part.
 */
export const FLOOR = 'fetch-timeout';

export interface HttpOptions {
  seqRequests: number;
  concRequests: number;
  rounds: number;
  /** Variant ids to run; bare-fetch is always added (it is the denominator). */
  only?: readonly string[];
  gc?: () => void;
  log?: (line: string) => void;
}

export interface UnitResult {
  variant: string;
  label: string;
  mode: Mode;
  requestsPerRound: number;
  rounds: number;
  reqPerSec: Spread;
  usPerReq: Spread;
  /** Client-process CPU (user+system) per request, µs. Independent of server saturation. */
  clientCpuUsPerReq: Spread;
  /** Server-process CPU per request, µs; serverBusy ≈ server CPU / wall (1.0 = server saturated a core). */
  serverCpuUsPerReq: Spread;
  serverBusy: Spread;
  /** Per-round paired ratio (this req/s ÷ bare-fetch req/s in the same round). */
  ratioToFetch: Spread;
  /**
   * Per-round paired CPU ratio: bare-fetch client CPU/request ÷ this variant's client CPU/request.
   * Less sensitive to other load on the machine than req/s (1.0 = costs the client what fetch does).
   */
  cpuRatioToFetch: Spread;
  /** Per-round paired ratio to the deadline floor (FLOOR) in the same round: what the client costs beyond a deadline. */
  ratioToFloor: Spread;
  /** Per-round paired CPU ratio to the deadline floor. */
  cpuRatioToFloor: Spread;
  /** Ratio of medians (for reference next to the paired median). */
  ratioOfMedians: number;
  target: number | null;
  /** Wall-clock paired ratio median ≥ target. */
  meetsTarget: boolean | null;
  /** CPU paired ratio median ≥ target. */
  meetsTargetCpu: boolean | null;
  tokenRequests: number;
  /** TCP connections the server accepted during this row's measured units (keep-alive: expect ~0). */
  newConnections: number;
}

export interface VariantStatus {
  id: string;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  checks: string[];
}

export interface HttpResult {
  params: { seqRequests: number; concRequests: number; concurrency: number; rounds: number; gcBetweenUnits: boolean };
  variants: VariantStatus[];
  units: UnitResult[];
}

type Call = () => Promise<unknown>;

interface Variant {
  id: string;
  label: string;
  target: number | null;
  /** Diagnostic (ablation) rows run only when named in --variants. */
  diagnostic?: boolean;
  /** Returns the call, or a string explaining why the variant is unavailable. */
  setup(baseUrl: string): Promise<Call | string>;
  /** Validate the captured request; return problems (empty = fine). */
  check(req: CapturedRequest | null, stats: ServerStats): string[];
}

// ---------------------------------------------------------------------------------------------
// dollr-client loading. Dynamic so the harness runs (and type-checks) before src/index.ts lands.
// ---------------------------------------------------------------------------------------------

// Types come from the real module (type-only import); the code is loaded with a dynamic import so
// a broken or half-edited src/ leaves the baseline rows running and the dollr rows reported as failed.
type DollrModule = typeof DollrIndex;

const SRC_INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
let dollrModule: Promise<DollrModule | string> | undefined;

export function loadDollr(): Promise<DollrModule | string> {
  dollrModule ??= (async () => {
    if (!existsSync(SRC_INDEX)) return 'src/index.ts does not exist yet';
    try {
      const mod = (await import(pathToFileURL(SRC_INDEX).href)) as Partial<DollrModule>;
      const missing = ['createDollrClient', 'createPasscode', 'serverDevice', 'newReferenceId'].filter(
        (k) => typeof (mod as Record<string, unknown>)[k] !== 'function',
      );
      if (missing.length) return `src/index.ts does not export ${missing.join(', ')}`;
      return mod as DollrModule;
    } catch (err) {
      return `importing src/index.ts failed: ${(err as Error).message}`;
    }
  })();
  return dollrModule;
}

// ---------------------------------------------------------------------------------------------
// Checks on what reached the server.
// ---------------------------------------------------------------------------------------------

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function checkPayoutRequest(req: CapturedRequest | null, token: string, freshReferenceId: boolean): string[] {
  if (!req) return ['no payout request reached the server'];
  const problems: string[] = [];
  if (req.method !== 'POST') problems.push(`method ${req.method}`);
  if (req.url !== PAYOUT_PATH) problems.push(`url ${req.url}`);
  if (req.headers.authorization !== `Bearer ${token}`) problems.push(`authorization ${JSON.stringify(req.headers.authorization)}`);
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
    problems.push(`content-type ${JSON.stringify(req.headers['content-type'])}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.body) as Record<string, unknown>;
  } catch {
    return [...problems, `body is not JSON: ${req.body.slice(0, 80)}`];
  }
  const expected: Record<string, unknown> = { ...DOCUMENTED_PAYOUT_BODY };
  if (freshReferenceId) {
    if (typeof body.reference_id !== 'string' || !UUID_V4.test(body.reference_id))
      problems.push(`reference_id not a v4 UUID: ${String(body.reference_id)}`);
    expected.reference_id = body.reference_id;
  }
  if (JSON.stringify(sortKeys(body)) !== JSON.stringify(sortKeys(expected)))
    problems.push(`body differs from the documented payout body: ${req.body}`);
  return problems;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  return v;
}

/** The fixed ExecutionResponse, with the reference_id that was sent (the server echoes it). */
function assertExecution(data: unknown): void {
  const id = (data as { reference_id?: unknown } | null)?.reference_id;
  if (!data || typeof id !== 'string' || (data as { status?: unknown }).status !== EXECUTION_RESPONSE.status)
    throw new Error(`unexpected response data: ${JSON.stringify(data)?.slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// Variants.
// ---------------------------------------------------------------------------------------------

export const VARIANTS: readonly Variant[] = [
  {
    id: 'bare-fetch',
    label: 'bare fetch (limit)',
    target: null,
    async setup(baseUrl) {
      const url = baseUrl + PAYOUT_PATH;
      const body = DOCUMENTED_PAYOUT_BODY;
      return async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${STATIC_TOKEN}` },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return (await res.json()) as unknown;
      };
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
  {
    id: 'fetch-timeout',
    label: 'deadline floor: bare fetch + AbortSignal/timer',
    target: null,
    async setup(baseUrl) {
      const url = baseUrl + PAYOUT_PATH;
      const body = DOCUMENTED_PAYOUT_BODY;
      const onTimeout = (c: AbortController) => c.abort();
      return async () => {
        const controller = new AbortController();
        const timer = setTimeout(onTimeout, 30_000, controller);
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${STATIC_TOKEN}` },
            body: JSON.stringify(body),
            signal: controller.signal,
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return (await res.json()) as unknown;
        } finally {
          clearTimeout(timer);
        }
      };
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
  {
    id: 'openapi-fetch',
    label: 'openapi-fetch + auth middleware (peer)',
    target: null,
    async setup(baseUrl) {
      const client = createClient<paths>({ baseUrl });
      const auth: Middleware = {
        onRequest({ request }) {
          request.headers.set('Authorization', `Bearer ${STATIC_TOKEN}`);
          return request;
        },
      };
      client.use(auth);
      const body = { ...DOCUMENTED_PAYOUT_BODY };
      return async () => {
        const { data, error } = await client.POST('/{version}/executions/payout', {
          params: { path: { version: 'v1' } },
          body,
        });
        if (error !== undefined) throw new Error(`error ${JSON.stringify(error)}`);
        return data;
      };
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
  {
    id: 'dollr-post',
    label: 'dollr client.POST, static token',
    target: 0.9,
    async setup(baseUrl) {
      const mod = await loadDollr();
      if (typeof mod === 'string') return mod;
      const client = mod.createDollrClient({ baseUrl, auth: STATIC_TOKEN });
      const body = { ...DOCUMENTED_PAYOUT_BODY };
      return async () => {
        const { data, error } = await client.POST('/v1/executions/payout', { body });
        if (error !== undefined) throw new Error(`error ${JSON.stringify(error)}`);
        return data;
      };
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
  {
    id: 'dollr-execute',
    label: "dollr client.execute('payout', body)",
    target: 0.9,
    async setup(baseUrl) {
      const mod = await loadDollr();
      if (typeof mod === 'string') return mod;
      const client = mod.createDollrClient({ baseUrl, auth: STATIC_TOKEN });
      const body = { ...DOCUMENTED_PAYOUT_BODY };
      return async () => client.execute('payout', body);
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
  {
    id: 'dollr-payout',
    label: 'dollr client.payout + createPasscode/serverDevice',
    target: 0.85,
    async setup(baseUrl) {
      const mod = await loadDollr();
      if (typeof mod === 'string') return mod;
      const { createDollrClient, createPasscode, serverDevice, newReferenceId } = mod;
      const client = createDollrClient({ baseUrl, auth: STATIC_TOKEN });
      const p = DOCUMENTED_PAYOUT_BODY;
      const d = p.passcode.device;
      // What a payout handler does per request: a fresh idempotency key (stored before the call in
      // real code), the passcode for the originating IP, then the call.
      return async () =>
        client.payout({
          sessionId: p.session_id,
          payoutAccountId: p.payout_account_id,
          referenceId: newReferenceId(),
          passcode: createPasscode({
            code: p.passcode.token.code,
            phone: p.passcode.token.phone,
            // userAgent as in the documented body, so every row sends the same bytes.
            device: serverDevice({ clientIp: d.client_ip, name: d.name, userAgent: d.user_agent }),
          }),
        });
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, true),
  },
  {
    id: 'dollr-post-cc',
    label: 'dollr client.POST, client-credentials (cached)',
    target: 0.9,
    async setup(baseUrl) {
      const mod = await loadDollr();
      if (typeof mod === 'string') return mod;
      const client = mod.createDollrClient({ baseUrl, auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } });
      const body = { ...DOCUMENTED_PAYOUT_BODY };
      return async () => {
        const { data, error } = await client.POST('/v1/executions/payout', { body });
        if (error !== undefined) throw new Error(`error ${JSON.stringify(error)}`);
        return data;
      };
    },
    check: (req, stats) => {
      const problems = checkPayoutRequest(req, ISSUED_TOKEN, false);
      const t = stats.lastToken;
      if (!t) problems.push('no token request reached the server');
      else {
        try {
          const b = JSON.parse(t.body) as Record<string, unknown>;
          if (b.client_id !== CLIENT_ID || b.client_secret !== CLIENT_SECRET) problems.push(`token body ${t.body}`);
        } catch {
          problems.push(`token body not JSON: ${t.body.slice(0, 80)}`);
        }
        if (t.url !== TOKEN_PATH) problems.push(`token url ${t.url}`);
        if (t.headers.authorization) problems.push('token request carried an Authorization header');
      }
      return problems;
    },
  },
];

// Diagnostic rows: each adds ONE thing the client does to bare fetch (or removes one from the
// client), to attribute the gap. Run with e.g. --variants=fetch-timeout,fetch-headers,dollr-post-notimeout
export const DIAGNOSTIC_VARIANTS: readonly Variant[] = [
  {
    id: 'fetch-headers',
    label: 'diag: bare fetch + Headers instance (4 headers)',
    target: null,
    diagnostic: true,
    async setup(baseUrl) {
      const url = baseUrl + PAYOUT_PATH;
      const body = DOCUMENTED_PAYOUT_BODY;
      return async () => {
        const headers = new Headers({ 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'dollr-client/0.1.0' });
        headers.set('authorization', `Bearer ${STATIC_TOKEN}`);
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return (await res.json()) as unknown;
      };
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
  {
    id: 'dollr-post-notimeout',
    label: 'diag: dollr client.POST, timeoutMs: Infinity (no timer/signal)',
    target: null,
    diagnostic: true,
    async setup(baseUrl) {
      const mod = await loadDollr();
      if (typeof mod === 'string') return mod;
      const client = mod.createDollrClient({ baseUrl, auth: STATIC_TOKEN, timeoutMs: Number.POSITIVE_INFINITY });
      const body = { ...DOCUMENTED_PAYOUT_BODY };
      return async () => {
        const { data, error } = await client.POST('/v1/executions/payout', { body });
        if (error !== undefined) throw new Error(`error ${JSON.stringify(error)}`);
        return data;
      };
    },
    check: (req) => checkPayoutRequest(req, STATIC_TOKEN, false),
  },
];

export const ALL_VARIANTS: readonly Variant[] = [...VARIANTS, ...DIAGNOSTIC_VARIANTS];

// ---------------------------------------------------------------------------------------------
// Server process control.
// ---------------------------------------------------------------------------------------------

export class BenchServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<BenchServer> {
    // fork() inherits process.execArgv, i.e. tsx's loader flags, so the .ts server loads.
    const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const onMsg = (m: ServerMessage) => {
        if (m.type === 'listening') {
          child.off('message', onMsg);
          resolve(m.port);
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`bench server exited early (${code})`)));
      child.once('error', reject);
    });
    return new BenchServer(child, port);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private request(msg: ParentMessage): void {
    this.child.send(msg);
  }

  stats(): Promise<ServerStats> {
    return new Promise((resolve) => {
      const onMsg = (m: ServerMessage) => {
        if (m.type === 'stats') {
          this.child.off('message', onMsg);
          resolve(m);
        }
      };
      this.child.on('message', onMsg);
      this.request({ type: 'stats' });
    });
  }

  reset(): void {
    this.request({ type: 'reset' });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.request({ type: 'close' });
    const timer = setTimeout(() => this.child.kill(), 2000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement.
// ---------------------------------------------------------------------------------------------

interface Sample {
  wallMs: number;
  clientCpuUs: number;
  serverCpuUs: number;
  served: number;
  tokens: number;
  connections: number;
}

async function runBatch(call: Call, mode: Mode, n: number): Promise<void> {
  if (mode === 'seq') {
    for (let i = 0; i < n; i++) await call();
    return;
  }
  let issued = 0;
  const worker = async () => {
    while (issued < n) {
      issued++;
      await call();
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < CONCURRENCY; w++) workers.push(worker());
  await Promise.all(workers);
}

async function measure(server: BenchServer, call: Call, mode: Mode, n: number, gc?: () => void): Promise<Sample> {
  gc?.();
  const before = await server.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runBatch(call, mode, n);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = await server.stats();
  return {
    wallMs,
    clientCpuUs: cpu.user + cpu.system,
    serverCpuUs: after.cpu.user + after.cpu.system - (before.cpu.user + before.cpu.system),
    served: after.counts.payout - before.counts.payout,
    tokens: after.counts.token - before.counts.token,
    connections: after.counts.connections - before.counts.connections,
  };
}

export async function runHttpBench(opts: HttpOptions): Promise<HttpResult> {
  const log = opts.log ?? (() => {});
  const server = await BenchServer.start();
  const statuses: VariantStatus[] = [];
  const live: { v: Variant; call: Call; tokens: number }[] = [];
  try {
    const wanted = opts.only?.length ? new Set(['bare-fetch', FLOOR, ...opts.only]) : null;
    for (const v of ALL_VARIANTS) {
      if (wanted ? !wanted.has(v.id) : v.diagnostic) continue;
      const call = await v.setup(server.baseUrl);
      if (typeof call === 'string') {
        statuses.push({ id: v.id, label: v.label, status: 'skipped', note: call, checks: [] });
        log(`  skip ${v.id}: ${call}`);
        continue;
      }
      // One request, then inspect what the server saw.
      try {
        server.reset();
        assertExecution(await call());
        const stats = await server.stats();
        const problems = v.check(stats.lastPayout, stats);
        if (problems.length) {
          statuses.push({ id: v.id, label: v.label, status: 'failed', note: 'request check failed', checks: problems });
          log(`  FAIL ${v.id}: ${problems.join('; ')}`);
          continue;
        }
        statuses.push({ id: v.id, label: v.label, status: 'ok', checks: [] });
        live.push({ v, call, tokens: 0 });
      } catch (err) {
        statuses.push({ id: v.id, label: v.label, status: 'failed', note: (err as Error).message, checks: [] });
        log(`  FAIL ${v.id}: ${(err as Error).message}`);
      }
    }
    if (!live.some((l) => l.v.id === 'bare-fetch')) throw new Error('bare fetch variant failed; nothing to compare against');

    const units = live.flatMap((l) => MODES.map((mode) => ({ l, mode })));
    const nFor = (mode: Mode) => (mode === 'seq' ? opts.seqRequests : opts.concRequests);
    const samples = new Map<string, Sample[]>();
    const key = (id: string, mode: Mode) => `${id}/${mode}`;
    const failed = new Set<string>();

    // Warm-up: JIT, undici pool (32 sockets), token cache.
    log(`  warm-up (${units.length} units)`);
    for (const u of units) await runBatch(u.l.call, u.mode, Math.ceil(nFor(u.mode) / 2));

    for (let r = 0; r < opts.rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < units.length; i++) {
        const u = units[(i + r) % units.length];
        if (!u || failed.has(u.l.v.id)) continue;
        const n = nFor(u.mode);
        try {
          const s = await measure(server, u.l.call, u.mode, n, opts.gc);
          if (s.served !== n) throw new Error(`server saw ${s.served} payout requests, expected ${n}`);
          u.l.tokens += s.tokens;
          const k = key(u.l.v.id, u.mode);
          samples.set(k, [...(samples.get(k) ?? []), s]);
        } catch (err) {
          failed.add(u.l.v.id);
          const st = statuses.find((x) => x.id === u.l.v.id);
          if (st) {
            st.status = 'failed';
            st.note = `during round ${r + 1}: ${(err as Error).message}`;
          }
          log(`  FAIL ${u.l.v.id} in round ${r + 1}: ${(err as Error).message}`);
        }
      }
      log(`  round ${r + 1}/${opts.rounds} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }

    const results: UnitResult[] = [];
    for (const { l, mode } of units) {
      if (failed.has(l.v.id)) continue;
      const s = samples.get(key(l.v.id, mode)) ?? [];
      const base = samples.get(key('bare-fetch', mode)) ?? [];
      const floor = samples.get(key(FLOOR, mode)) ?? [];
      const n = nFor(mode);
      const rps = s.map((x) => (n / x.wallMs) * 1000);
      const baseRps = base.map((x) => (n / x.wallMs) * 1000);
      const paired = rps.map((x, i) => x / (baseRps[i] ?? Number.NaN));
      const ratio = spread(paired);
      const cpuPaired = s.map((x, i) => (base[i]?.clientCpuUs ?? Number.NaN) / x.clientCpuUs);
      const rpsS = spread(rps);
      const floorRps = floor.map((x) => (n / x.wallMs) * 1000);
      results.push({
        variant: l.v.id,
        label: l.v.label,
        mode,
        requestsPerRound: n,
        rounds: s.length,
        reqPerSec: rpsS,
        usPerReq: spread(s.map((x) => (x.wallMs * 1000) / n)),
        clientCpuUsPerReq: spread(s.map((x) => x.clientCpuUs / n)),
        serverCpuUsPerReq: spread(s.map((x) => x.serverCpuUs / n)),
        serverBusy: spread(s.map((x) => x.serverCpuUs / (x.wallMs * 1000))),
        ratioToFetch: ratio,
        cpuRatioToFetch: spread(cpuPaired),
        ratioToFloor: spread(rps.map((x, i) => x / (floorRps[i] ?? Number.NaN))),
        cpuRatioToFloor: spread(s.map((x, i) => (floor[i]?.clientCpuUs ?? Number.NaN) / x.clientCpuUs)),
        ratioOfMedians: rpsS.median / spread(baseRps).median,
        target: l.v.target,
        meetsTarget: l.v.target === null ? null : ratio.median >= l.v.target,
        meetsTargetCpu: l.v.target === null ? null : spread(cpuPaired).median >= l.v.target,
        tokenRequests: l.tokens,
        newConnections: s.reduce((n, x) => n + x.connections, 0),
      });
    }
    return {
      params: {
        seqRequests: opts.seqRequests,
        concRequests: opts.concRequests,
        concurrency: CONCURRENCY,
        rounds: opts.rounds,
        gcBetweenUnits: Boolean(opts.gc),
      },
      variants: statuses,
      units: results,
    };
  } finally {
    await server.close();
  }
}
