/**
 * Bundle size of the main entry: esbuild bundle of src/index.ts with its dependencies
 * (platform neutral, ESM, minified), gzipped with zlib level 9. Floors: openapi-fetch alone and
 * uuid alone (v4 only, what a client needs, and the whole package for reference).
 *
 *   tsx bench/size.ts          # prints a table
 *   tsx bench/size.ts --json   # prints the JSON result
 *
 * `measureSize()` is exported for bench/run.ts and for anyone who wants to quote the figures.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';

/** The whole-API issue's ceiling: 12 kB, with kB = 1000 bytes. */
export const SIZE_TARGET_GZIP_BYTES = 12_000;

export interface BundleSize {
  name: string;
  entry: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** kB = 1000 bytes. */
  gzipKB: number;
  /** Minified-output bytes attributed to each input file (esbuild metafile), largest first. */
  inputs: { path: string; bytesInOutput: number }[];
  /** Imports left external (node builtins); a neutral bundle should have none. */
  externals: string[];
  warnings: string[];
}

export interface SizeResult {
  esbuildVersion: string;
  settings: string;
  main: BundleSize | null;
  mainError: string | null;
  floors: BundleSize[];
  targetGzipBytes: number;
  meetsTarget: boolean | null;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'neutral',
  format: 'esm',
  minify: true,
  write: false,
  metafile: true,
  logLevel: 'silent',
  absWorkingDir: ROOT,
  // Node builtins cannot be bundled on the neutral platform; keep them external and report them.
  external: ['node:*'],
  // Neutral platform defaults kept as-is (no main fields, conditions import/default): the
  // dependencies resolve through package.json "exports" (uuid picks its non-node build).
};

async function bundle(name: string, entry: { file: string } | { code: string }): Promise<BundleSize> {
  const result = await build({
    ...COMMON,
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.code, resolveDir: ROOT, loader: 'ts', sourcefile: `${name}.ts` } }),
    outfile: 'bundle.js',
  });
  const out = result.outputFiles?.[0];
  if (!out) throw new Error(`esbuild produced no output for ${name}`);
  const meta: Metafile = result.metafile ?? { inputs: {}, outputs: {} };
  const outMeta = Object.values(meta.outputs)[0];
  const inputs = Object.entries(outMeta?.inputs ?? {})
    .map(([path, v]) => ({ path, bytesInOutput: v.bytesInOutput }))
    .filter((x) => x.bytesInOutput > 0)
    .sort((a, b) => b.bytesInOutput - a.bytesInOutput);
  const externals = [...new Set((outMeta?.imports ?? []).filter((i) => i.external).map((i) => i.path))];
  const gz = gzipSync(out.contents, { level: 9 });
  return {
    name,
    entry: 'file' in entry ? entry.file : entry.code,
    minifiedBytes: out.contents.byteLength,
    gzipBytes: gz.byteLength,
    gzipKB: Math.round(gz.byteLength / 10) / 100,
    inputs,
    externals,
    warnings: result.warnings.map((w) => w.text),
  };
}

export async function measureSize(): Promise<SizeResult> {
  const { version } = await import('esbuild');
  let main: BundleSize | null = null;
  let mainError: string | null = null;
  if (!existsSync(`${ROOT}/src/index.ts`)) mainError = 'src/index.ts does not exist yet';
  else {
    try {
      main = await bundle('main entry (src/index.ts + deps)', { file: 'src/index.ts' });
    } catch (err) {
      mainError = (err as Error).message.split('\n').slice(0, 6).join('\n');
    }
  }
  const floors = [
    await bundle('openapi-fetch alone', { code: "export { default } from 'openapi-fetch';" }),
    await bundle('uuid alone (v4)', { code: "export { v4 } from 'uuid';" }),
    await bundle('uuid alone (whole package)', { code: "export * from 'uuid';" }),
    await bundle('openapi-fetch + uuid v4', {
      code: "export { default } from 'openapi-fetch'; export { v4 } from 'uuid';",
    }),
  ];
  return {
    esbuildVersion: version,
    settings: 'esbuild bundle, platform=neutral, format=esm, minify, node:* external; gzip level 9',
    main,
    mainError,
    floors,
    targetGzipBytes: SIZE_TARGET_GZIP_BYTES,
    meetsTarget: main ? main.gzipBytes <= SIZE_TARGET_GZIP_BYTES : null,
  };
}

export function formatSize(r: SizeResult): string {
  const rows = [...(r.main ? [r.main] : []), ...r.floors];
  const lines = [
    `Bundle size (${r.settings}; esbuild ${r.esbuildVersion})`,
    `  ${'bundle'.padEnd(36)} ${'min B'.padStart(8)} ${'gzip B'.padStart(8)} ${'gzip kB'.padStart(8)}`,
  ];
  for (const b of rows)
    lines.push(
      `  ${b.name.padEnd(36)} ${String(b.minifiedBytes).padStart(8)} ${String(b.gzipBytes).padStart(8)} ${b.gzipKB.toFixed(2).padStart(8)}`,
    );
  if (r.mainError) lines.push(`  main entry: NOT MEASURED (${r.mainError})`);
  if (r.main) {
    lines.push(
      `  target ≤ ${r.targetGzipBytes} B gz (12 kB, kB = 1000 B): ${r.meetsTarget ? 'MET' : 'MISSED'} (${r.main.gzipBytes} B)`,
      `  main entry contributors (minified bytes): ${r.main.inputs
        .slice(0, 8)
        .map((i) => `${i.path.replace(/^node_modules\//, '')} ${i.bytesInOutput}`)
        .join(', ')}`,
    );
    if (r.main.externals.length) lines.push(`  WARNING: external imports in a neutral bundle: ${r.main.externals.join(', ')}`);
    for (const w of r.main.warnings) lines.push(`  esbuild warning: ${w}`);
  }
  return lines.join('\n');
}

// Runnable alone: `tsx bench/size.ts [--json]`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await measureSize();
  console.log(process.argv.includes('--json') ? JSON.stringify(r, null, 2) : formatSize(r));
}
