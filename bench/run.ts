/**
 * `npm run bench` — HTTP overhead, bundle size and codegen time for dollr-client.
 *
 *   npm run bench                          full run (~3 min)
 *   npm run bench -- --quick               smoke run (~30 s), same code paths, fewer/shorter rounds
 *   npm run bench -- --sections=http,size  any of http,overhead,size,codegen,batch
 *   npm run bench -- --variants=dollr-post --sections=http   (bare-fetch is always included)
 *   npm run bench -- --sections=http --variants=dollr-post,fetch-timeout,fetch-headers,dollr-post-notimeout
 *                                          diagnostic rows that attribute the gap to fetch (see http.ts)
 *   npm run bench -- --rounds=15 --seq=3000 --conc=6000
 *   npm run bench -- --no-write            do not write bench/results/*.json
 *   npm run bench -- --node=24             the same run under a pinned Node 22 or 24 from
 *                                          scripts/runtimes/pins.ts (installed into .cache/runtimes/)
 *
 * Writes bench/results/<short sha>.json and bench/results/latest.json. See bench/README.md.
 * Traffic goes only to 127.0.0.1 (a server forked by bench/http.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ensureRuntime } from '../scripts/runtimes/install.js';
import { PINS } from '../scripts/runtimes/pins.js';
import { formatBatch, runBatchBench, type BatchBenchResult } from './batch.js';
import { runCodegenBench, type CodegenResult } from './codegen.js';
import { runHttpBench, type HttpResult, type UnitResult } from './http.js';
import { collectMeta, endMeta, type Meta } from './machine.js';
import { runOverheadBench, type OverheadResult } from './overhead.js';
import { formatSize, measureSize, type SizeResult } from './size.js';
import type { Spread } from './stats.js';

export interface BenchResult {
  format: 'dollr-bench/1';
  meta: Meta;
  quick: boolean;
  http: HttpResult | null;
  httpError?: string;
  overhead: OverheadResult | null;
  size: SizeResult | null;
  codegen: CodegenResult | null;
  batch?: BatchBenchResult;
  /**
   * met: true only when every measure of it meets the target; status MIXED when the wall-clock and
   * CPU ratios disagree (noise on a loaded machine: rerun with more --rounds).
   */
  targets: { name: string; value: string; target: string; met: boolean | null; status: 'MET' | 'MISSED' | 'MIXED' | 'n/a' }[];
}

// ---------------------------------------------------------------------------------------------
// Arguments.
// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const num = (name: string, dflt: number) => {
  const v = opt(name);
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
};

const quick = flag('quick');
const sections = new Set((opt('sections') ?? 'http,overhead,size,codegen,batch').split(','));
const variants = opt('variants')?.split(',').filter(Boolean);
// Sized so a full run takes ~2-3 minutes on the shared 2-core box (~1 ms/request under load).
const seqRequests = num('seq', quick ? 200 : 1000);
const concRequests = num('conc', quick ? 400 : 2000);
const rounds = num('rounds', quick ? 3 : 8);
const write = !flag('no-write');
const nodeLine = opt('node');

/**
 * `--node=22|24`: the same run under a pinned Node binary, for the lines after Node 20 (whose
 * AbortSignal is a transferable object and costs several percent of loopback throughput).
 */
async function rerunUnder(major: string): Promise<never> {
  const pins = PINS.filter((p) => /^node\d+$/.test(p.id));
  const pin = pins.find((p) => p.id === `node${major}`);
  if (!pin) throw new Error(`--node must be one of ${pins.map((p) => p.id.slice(4)).join(', ')}`);
  const installed = await ensureRuntime(pin);
  if (!installed.ok) throw new Error(`--node=${major}: ${installed.reason}`);
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), ...argv.filter((a) => !a.startsWith('--node='))];
  process.exit(spawnSync(installed.bin, args, { stdio: 'inherit' }).status ?? 1);
}

// A forced full GC before each measured unit keeps one unit's garbage off the next one's clock.
// `npm run bench` cannot pass --expose-gc (package.json is fixed), so enable it at runtime.
function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting.
// ---------------------------------------------------------------------------------------------

const f0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');

function table(headers: string[], rows: string[][], rightAlign: (i: number) => boolean = (i) => i > 0): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAlign(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

const range = (s: Spread, f: (x: number) => string) => `${f(s.min)}–${f(s.max)}`;

function formatHttp(h: HttpResult): string {
  const p = h.params;
  const lines = [
    `HTTP (loopback server in a forked process; ${p.rounds} rounds after warm-up, order rotated each round; ` +
      `seq = ${p.seqRequests} req/round one at a time, c${p.concurrency} = ${p.concRequests} req/round ${p.concurrency} in flight; ` +
      `GC forced between units: ${p.gcBetweenUnits ? 'yes' : 'no'})`,
  ];
  const rows = h.units.map((u: UnitResult) => [
    u.label,
    u.mode,
    f0(u.reqPerSec.median),
    range(u.reqPerSec, f0),
    f1(u.usPerReq.median),
    `${f1(u.usPerReq.q1)}–${f1(u.usPerReq.q3)}`,
    f1(u.clientCpuUsPerReq.median),
    f2(u.serverBusy.median),
    f3(u.ratioToFetch.median),
    range(u.ratioToFetch, f2),
    f3(u.cpuRatioToFetch.median),
    u.target === null
      ? ''
      : `≥${u.target} ${u.meetsTarget && u.meetsTargetCpu ? 'MET' : !u.meetsTarget && !u.meetsTargetCpu ? 'MISSED' : 'MIXED'}`,
  ]);
  lines.push(
    table(
      ['variant', 'mode', 'req/s', 'req/s min–max', 'µs/req', 'µs/req IQR', 'cli CPU µs', 'srv busy', 'x fetch', 'x range', 'CPU x fetch', 'target'],
      rows,
      (i) => i > 1 && i < 11,
    ),
  );
  lines.push(
    '  x fetch = median over rounds of (variant req/s ÷ bare-fetch req/s in the same round); cli CPU µs = client-process CPU per request;',
    '  CPU x fetch = median over rounds of (bare-fetch CPU/req ÷ variant CPU/req): the same comparison, less sensitive to other load on the box;',
    '  srv busy = server-process CPU ÷ wall time (near 1.00 would mean the server, not the client, limits throughput).',
    '  deadline floor = bare fetch + one AbortSignal and timer per request, the least any client with a deadline adds; targets also show',
    '  "x floor" (variant ÷ floor, wall and CPU, paired per round): what the client costs beyond its deadline.',
  );
  for (const v of h.variants)
    if (v.status !== 'ok') lines.push(`  ${v.status.toUpperCase()}: ${v.label}: ${v.note ?? ''}${v.checks.length ? ` — ${v.checks.join('; ')}` : ''}`);
  const conns = h.units.reduce((n, u) => n + u.newConnections, 0);
  lines.push(`  keep-alive: ${conns} new TCP connections during all measured units (sockets are opened in the warm-up).`);
  const cc = h.units.find((u) => u.variant === 'dollr-post-cc');
  if (cc) lines.push(`  client-credentials: ${cc.tokenRequests} token requests during measured rounds (expected 0: token cached).`);
  return lines.join('\n');
}

function formatOverhead(o: OverheadResult, h: HttpResult | null): string {
  const bareHttp = h?.units.find((u) => u.variant === 'bare-fetch' && u.mode === 'seq')?.clientCpuUsPerReq.median;
  const rows = o.rows.map((r) => [
    r.label,
    f1(r.cpuUsPerCall.median),
    r.variant === 'bare-fetch' ? '' : r.variant === 'payout-helpers' ? `(${f1(r.addedUsPerCall.median)} total)` : f1(r.addedUsPerCall.median),
    r.variant === 'bare-fetch' || r.variant === 'payout-helpers' ? '' : `${f1(r.addedUsPerCall.min)}–${f1(r.addedUsPerCall.max)}`,
    bareHttp && r.variant !== 'bare-fetch' && r.variant !== 'payout-helpers'
      ? f3(bareHttp / (bareHttp + r.addedUsPerCall.median))
      : '',
  ]);
  return [
    `Client-layer overhead (stub fetch, no network; ${o.rounds} rounds × ${o.callsPerRound} sequential calls; client CPU)`,
    table(['row', 'CPU µs/call', 'added µs vs fetch', 'added min–max', bareHttp ? 'est. x fetch (seq)' : 'est.'], rows),
    bareHttp
      ? `  est. x fetch = bare-fetch HTTP CPU/req (${f1(bareHttp)} µs, seq row above) ÷ (that + added µs): what the layer alone would cost on loopback.`
      : '  (run with the http section to get the estimated ratio)',
    ...o.skipped.map((s) => `  SKIPPED ${s.variant}: ${s.reason}`),
  ].join('\n');
}

function formatCodegen(c: CodegenResult): string {
  const rows = c.rows.map((r) => [
    r.name,
    f0(r.operations),
    f0(r.schemas),
    f0(r.ms.median),
    r.reps > 1 ? range(r.ms, f0) : '',
    f0(r.cpuMs.median),
    f3(r.msPerOperation),
    f0(r.specJsonBytes / 1024),
    f0(r.outputBytes / 1024),
    f0(r.outputLines),
  ]);
  return [
    `Codegen (${c.generator}; committed spec from ${c.committedSpecSource})`,
    table(['spec', 'ops', 'schemas', 'ms', 'ms min–max', 'CPU ms', 'ms/op', 'spec KiB', 'out KiB', 'out lines'], rows),
    c.meetsTarget === null
      ? '  5,000-op target not measured in this run'
      : `  target 5,000 ops ≤ ${c.targetMs5000} ms: ${c.meetsTarget ? 'MET' : 'MISSED'}`,
  ].join('\n');
}

const status = (met: boolean | null) => (met === null ? 'n/a' : met ? 'MET' : 'MISSED');

function targets(r: BenchResult): BenchResult['targets'] {
  const t: BenchResult['targets'] = [];
  for (const u of r.http?.units ?? [])
    if (u.target !== null)
      t.push({
        name: `${u.variant} ${u.mode}`,
        value: `${f3(u.ratioToFetch.median)}x wall, ${f3(u.cpuRatioToFetch.median)}x CPU (x floor ${f2(u.ratioToFloor.median)}, ${f2(u.cpuRatioToFloor.median)})`,
        target: `≥ ${u.target}x`,
        met: Boolean(u.meetsTarget && u.meetsTargetCpu),
        status: u.meetsTarget && u.meetsTargetCpu ? 'MET' : !u.meetsTarget && !u.meetsTargetCpu ? 'MISSED' : 'MIXED',
      });
  for (const v of r.http?.variants ?? [])
    if (v.status !== 'ok' && v.id.startsWith('dollr')) t.push({ name: v.id, value: v.status, target: 'measured', met: false, status: 'MISSED' });
  if (r.size)
    t.push({
      name: 'main entry gzip',
      value: r.size.main ? `${r.size.main.gzipBytes} B` : 'not measured',
      target: `≤ ${r.size.targetGzipBytes} B`,
      met: r.size.meetsTarget,
      status: status(r.size.meetsTarget),
    });
  const big = r.codegen?.rows.find((x) => x.name === 'synthetic 5000 ops');
  if (r.codegen)
    t.push({ name: 'codegen 5,000 ops', value: big ? `${f0(big.ms.median)} ms` : 'not run', target: `≤ ${r.codegen.targetMs5000} ms`, met: r.codegen.meetsTarget, status: status(r.codegen.meetsTarget) });
  return t;
}

// ---------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const log = (s: string) => console.error(s);
  const meta = collectMeta(process.argv.slice(1));
  const gc = getGc();
  log(`dollr-client bench${quick ? ' (quick)' : ''}: ${meta.cpuModel} × ${meta.cores}, Node ${meta.node}, ${meta.gitShaShort}, load ${meta.loadavgStart.join(' ')}`);
  const result: BenchResult = { format: 'dollr-bench/1', meta, quick, http: null, overhead: null, size: null, codegen: null, targets: [] };

  if (sections.has('http')) {
    log('http:');
    try {
      result.http = await runHttpBench({ seqRequests, concRequests, rounds, only: variants, gc, log });
    } catch (err) {
      result.httpError = (err as Error).message;
      log(`  http bench failed: ${result.httpError}`);
    }
  }
  if (sections.has('overhead')) {
    log('overhead (stub fetch, no network):');
    result.overhead = await runOverheadBench({ callsPerRound: quick ? 500 : 3000, rounds: quick ? 3 : 7, gc, log });
  }
  if (sections.has('size')) {
    log('size:');
    result.size = await measureSize();
  }
  if (sections.has('codegen')) {
    log('codegen:');
    result.codegen = await runCodegenBench({
      sizes: quick ? [100, 1000] : [100, 1000, 5000],
      reps: (n) => (quick ? 1 : n >= 5000 ? 2 : n >= 1000 ? 3 : 5),
      gc,
      log,
    });
  }
  if (sections.has('batch')) {
    log('batch:');
    result.batch = await runBatchBench({ quick, log });
  }
  endMeta(meta);
  result.targets = targets(result);

  const out: string[] = [
    '',
    ...(quick ? ['QUICK RUN: a smoke test (short warm-up, few rounds); do not read targets from it.', ''] : []),
    `dollr-client bench — ${meta.date} — ${meta.gitShaShort}${meta.dirtyFiles.length ? ` (+${meta.dirtyFiles.length} uncommitted files)` : ''}`,
    `machine: ${meta.cpuModel}, ${meta.cores} cores, ${meta.totalMemGB} GB; Node ${meta.node} (V8 ${meta.v8}); load avg ${meta.loadavgStart.join(' ')} → ${meta.loadavgEnd?.join(' ')}`,
    '',
  ];
  if (result.http) out.push(formatHttp(result.http), '');
  if (result.httpError) out.push(`HTTP: FAILED: ${result.httpError}`, '');
  if (result.overhead) out.push(formatOverhead(result.overhead, result.http), '');
  if (result.size) out.push(formatSize(result.size), '');
  if (result.codegen) out.push(formatCodegen(result.codegen), '');
  if (result.batch) out.push(formatBatch(result.batch), '');
  out.push(
    'Targets',
    table(
      ['target', 'measured', 'wanted', 'status'],
      result.targets.map((t) => [t.name, t.value, t.target, t.status]),
      (i) => i === 1,
    ),
  );
  console.log(out.join('\n'));

  if (write) {
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const json = `${JSON.stringify(result, null, 2)}\n`;
    const major = process.versions.node.split('.')[0];
    const name = `${meta.gitShaShort}${major === '20' ? '' : `.node${major}`}${quick ? '.quick' : ''}.json`;
    writeFileSync(`${dir}${name}`, json);
    writeFileSync(`${dir}latest.json`, json);
    console.log(`\nwrote bench/results/${name} and bench/results/latest.json`);
  }
}

await (nodeLine === undefined ? main() : rerunUnder(nodeLine));
