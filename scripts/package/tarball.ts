/** `npm pack` and checks on what the tarball ships. */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { run } from './exec.js';

export interface Packed {
  tarball: string;
  files: string[];
  bytes: number;
  unpackedBytes: number;
}

interface PackJson {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** Packs the already-built tree (`--ignore-scripts`: prepack would only rebuild it). */
export async function pack(root: string, destination: string, env: NodeJS.ProcessEnv): Promise<Packed> {
  const result = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], {
    cwd: root,
    timeoutMs: 60_000,
    env,
  });
  // npm prints warnings on stderr too; the JSON array is the one thing starting with '['.
  const start = result.output.indexOf('[');
  const end = result.output.lastIndexOf(']');
  if (result.code !== 0 || start < 0 || end < start) throw new Error(`npm pack failed:\n${result.output.trim()}`);
  const [info] = JSON.parse(result.output.slice(start, end + 1)) as PackJson[];
  if (!info) throw new Error('npm pack reported no tarball');
  return {
    tarball: join(destination, info.filename),
    files: info.files.map((f) => f.path).sort(),
    bytes: info.size,
    unpackedBytes: info.unpackedSize,
  };
}

// Nothing from development belongs in the tarball.
const FORBIDDEN: readonly RegExp[] = [
  /^(test|tests|bench|scripts|examples|coverage|node_modules|\.ci|\.github)\//,
  /(^|\/)\./,
  /\.test(-d)?\.ts$/,
  /^tsconfig.*\.json$/,
  /^(eslint|vitest)\.config\./,
  /\.tgz$/,
  /^package-lock\.json$/,
];

/** Every path `exports`, `main`, `types` and `bin` point at (conditions flattened). */
export function exportTargets(manifest: Record<string, unknown>): string[] {
  const targets: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') targets.push(posix.normalize(value));
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(manifest.exports);
  visit(manifest.main);
  visit(manifest.types);
  visit(manifest.bin);
  return [...new Set(targets)];
}

/** Problems with the file list: forbidden files, missing export targets, maps pointing at unshipped sources. */
export function checkContents(root: string, files: readonly string[]): string[] {
  const shipped = new Set(files);
  const problems: string[] = [];
  for (const file of files) {
    if (FORBIDDEN.some((pattern) => pattern.test(file))) problems.push(`ships a development file: ${file}`);
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const required of [...exportTargets(manifest), 'package.json', 'README.md', 'openapi.json']) {
    if (!shipped.has(required)) problems.push(`missing ${required} (referenced by package.json or required to ship)`);
  }
  // Source and declaration maps are only useful if what they point at ships too.
  for (const map of files.filter((file) => file.endsWith('.map'))) {
    const { sources = [] } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources?: string[] };
    for (const source of sources) {
      const target = posix.normalize(posix.join(posix.dirname(map), source));
      if (!shipped.has(target)) problems.push(`${map} points at ${target}, which is not shipped`);
    }
  }
  return problems;
}
