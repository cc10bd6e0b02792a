/**
 * `npm run build`: clean dist/, then emit ESM + .d.ts + maps with tsc -p tsconfig.build.json.
 * No bundler: consumers' bundlers tree-shake the per-module output, and Node loads it as is.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

// A stale file from a deleted module would otherwise ship in the tarball.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
} catch {
  console.error('build: tsc -p tsconfig.build.json failed');
  process.exit(1);
}
console.log('build: dist/ emitted (ESM, .d.ts, source and declaration maps)');
