/** Machine / revision metadata recorded with every result file. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, type Dirent } from 'node:fs';
import { cpus, loadavg, totalmem, arch, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Meta {
  date: string;
  gitSha: string;
  gitShaShort: string;
  /** The shared working tree is usually dirty; these are the files that differ from HEAD. */
  dirtyFiles: string[];
  /** sha256 (first 12 hex) of the code measured (whole src/ and scripts/lib/ trees), to tell runs on one commit apart. */
  measuredFiles: Record<string, string | null>;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  osRelease: string;
  cpuModel: string;
  cores: number;
  totalMemGB: number;
  loadavgStart: number[];
  loadavgEnd?: number[];
  argv: string[];
}

function git(args: string[], trim = true): string {
  try {
    const out = execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return trim ? out.trim() : out;
  } catch {
    return '';
  }
}

/** One hash over every file under a directory (sorted paths + contents), e.g. all of src/. */
function treeHash(rel: string): string | null {
  const dir = `${ROOT}/${rel}`;
  if (!existsSync(dir)) return null;
  const h = createHash('sha256');
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => d.isFile())
    .map((d) => `${d.parentPath ?? d.path}/${d.name}`)
    .sort();
  for (const f of files) h.update(f.slice(ROOT.length)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 12);
}

function fileHash(rel: string): string | null {
  const p = `${ROOT}/${rel}`;
  return existsSync(p) ? createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 12) : null;
}

export function collectMeta(argv: string[]): Meta {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    gitSha: git(['rev-parse', 'HEAD']) || 'unknown',
    gitShaShort: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirtyFiles: git(['status', '--porcelain', '--untracked-files=all'], false)
      .split('\n')
      .filter((l) => l && !l.includes('bench/results/'))
      .map((l) => l.slice(3)),
    measuredFiles: {
      'src/': treeHash('src'),
      'scripts/lib/': treeHash('scripts/lib'),
      'openapi.json': fileHash('openapi.json'),
      'package-lock.json': fileHash('package-lock.json'),
    },
    node: process.version,
    v8: process.versions.v8,
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    totalMemGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    argv,
  };
}

export function endMeta(meta: Meta): void {
  meta.loadavgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
}
