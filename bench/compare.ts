/**
 * Compare two bench result files:  tsx bench/compare.ts bench/results/<old>.json bench/results/<new>.json
 *
 * For every HTTP row: ratio to bare fetch (the number the targets are about) and req/s, old → new,
 * flagged "~noise" when the new median lies inside the old run's min–max (ratios) or IQR (req/s).
 * Ratios are the thing to compare across runs/machines; raw req/s only on the same machine and load.
 * Then bundle size (deterministic for a given lockfile and src/) and codegen ms per operation.
 */
import { readFileSync } from 'node:fs';
import type { BenchResult } from './run.js';
import type { Spread } from './stats.js';

function load(path: string): BenchResult {
  const r = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
  if (r.format !== 'dollr-bench/1') throw new Error(`${path}: not a dollr-bench/1 result file`);
  return r;
}

const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`;
const inside = (x: number, lo: number, hi: number) => x >= lo && x <= hi;

function row(cells: string[], widths: number[]): string {
  return `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
}

export function compare(a: BenchResult, b: BenchResult): string {
  const out: string[] = [];
  const desc = (r: BenchResult) =>
    `${r.meta.gitShaShort}${r.meta.dirtyFiles.length ? '+dirty' : ''} ${r.meta.date} (${r.meta.cpuModel} ×${r.meta.cores}, Node ${r.meta.node}, load ${r.meta.loadavgStart.join(' ')}${r.quick ? ', QUICK' : ''})`;
  out.push(`old: ${desc(a)}`, `new: ${desc(b)}`);
  if (a.meta.cpuModel !== b.meta.cpuModel || a.meta.node !== b.meta.node)
    out.push('  NOTE: different machine or Node version: compare ratios, not req/s.');

  const labels = (b.http?.units ?? []).map((u) => `${u.label} ${u.mode}`);
  const w = [Math.max(14, ...labels.map((l) => l.length)), 17, 8, 17, 13, 8];
  out.push('', 'HTTP', row(['variant / mode', 'x fetch old → new', '', 'CPU x old → new', 'req/s old → new', ''], w));
  for (const ub of b.http?.units ?? []) {
    const ua = a.http?.units.find((u) => u.variant === ub.variant && u.mode === ub.mode);
    const name = `${ub.label} ${ub.mode}`;
    if (!ua) {
      out.push(row([name, `(new) ${ub.ratioToFetch.median.toFixed(3)}`, '', '', `${Math.round(ub.reqPerSec.median)}`, ''], w));
      continue;
    }
    const ra: Spread = ua.ratioToFetch;
    const rb = ub.ratioToFetch.median;
    const qa: Spread = ua.reqPerSec;
    const qb = ub.reqPerSec.median;
    out.push(
      row(
        [
          name,
          `${ra.median.toFixed(3)} → ${rb.toFixed(3)}`,
          inside(rb, ra.min, ra.max) ? '~noise' : pct(ra.median, rb),
          `${ua.cpuRatioToFetch?.median.toFixed(3) ?? '-'} → ${ub.cpuRatioToFetch?.median.toFixed(3) ?? '-'}`,
          `${Math.round(qa.median)} → ${Math.round(qb)}`,
          inside(qb, qa.q1, qa.q3) ? '~noise' : pct(qa.median, qb),
        ],
        w,
      ),
    );
  }

  out.push('', 'Bundle size (gzip bytes)');
  const sizes = (r: BenchResult) => [...(r.size?.main ? [r.size.main] : []), ...(r.size?.floors ?? [])];
  for (const sb of sizes(b)) {
    const sa = sizes(a).find((x) => x.name === sb.name);
    out.push(`  ${sb.name.padEnd(40)} ${sa ? `${sa.gzipBytes} → ` : ''}${sb.gzipBytes}${sa ? ` (${sb.gzipBytes - sa.gzipBytes >= 0 ? '+' : ''}${sb.gzipBytes - sa.gzipBytes} B)` : ''}`);
  }

  out.push('', 'Codegen (median ms, ms/op)');
  for (const cb of b.codegen?.rows ?? []) {
    const ca = a.codegen?.rows.find((x) => x.name === cb.name);
    out.push(
      `  ${cb.name.padEnd(22)} ${ca ? `${Math.round(ca.ms.median)} → ` : ''}${Math.round(cb.ms.median)} ms` +
        `  (${ca ? `${ca.msPerOperation.toFixed(3)} → ` : ''}${cb.msPerOperation.toFixed(3)} ms/op${ca ? `, ${pct(ca.ms.median, cb.ms.median)}` : ''})`,
    );
  }

  out.push('', 'Targets');
  for (const t of b.targets) {
    const ta = a.targets.find((x) => x.name === t.name);
    out.push(`  ${t.name.padEnd(20)} ${ta ? `${ta.value} → ` : ''}${t.value} (${t.target}): ${t.status ?? (t.met === null ? 'n/a' : t.met ? 'MET' : 'MISSED')}`);
  }
  return out.join('\n');
}

const [oldPath, newPath] = process.argv.slice(2);
if (!oldPath || !newPath) {
  console.error('usage: tsx bench/compare.ts <old.json> <new.json>');
  process.exit(2);
}
console.log(compare(load(oldPath), load(newPath)));
