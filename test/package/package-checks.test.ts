// The package checks' own logic: each must be able to fail, so each is shown failing on
// a small fixture, and the real main entry is held to runtime neutrality from source.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findBuiltinImports, isBuiltin } from '../../scripts/package/neutral-imports.js';
import { checkContents, exportTargets } from '../../scripts/package/tarball.js';
import { CONSUMER_OK, consumerFiles } from './consumer-project.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dollr-package-check-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('findBuiltinImports', () => {
  it('finds builtins however they are spelled and however deep they are reached', async () => {
    const dir = fixture({
      'index.js': "export * from './a.js';\nexport const later = () => import('./lazy.js');",
      'a.js': "import { createHash } from 'node:crypto';\nexport { b } from './b.js';\nexport const h = createHash;",
      'b.js': "import fs from 'fs';\nexport const b = fs;",
      'lazy.js': "export { readFile } from 'fs/promises';",
    });
    const found = await findBuiltinImports('index.js', dir);
    expect(found).toEqual(
      expect.arrayContaining([
        { importer: 'a.js', specifier: 'node:crypto' },
        { importer: 'b.js', specifier: 'fs' },
        { importer: 'lazy.js', specifier: 'fs/promises' },
      ]),
    );
    expect(found).toHaveLength(3);
  });

  it('passes a module graph without builtins', async () => {
    const dir = fixture({ 'index.js': "export * from './a.js';", 'a.js': 'export const a = globalThis.fetch;' });
    expect(await findBuiltinImports('index.js', dir)).toEqual([]);
  });

  it('holds the real main entry, dependencies included, to no builtins; testing/ is where they live', async () => {
    expect(await findBuiltinImports('src/index.ts', root)).toEqual([]);
    const testing = await findBuiltinImports('src/testing/index.ts', root);
    expect(testing.map((b) => b.specifier)).toContain('node:child_process');
  });

  it('tells builtins from packages', () => {
    expect(['node:fs', 'fs', 'fs/promises', 'crypto', 'node:test'].every(isBuiltin)).toBe(true);
    expect(['uuid', 'openapi-fetch', 'fsevents', '@types/node', './fs.js'].some(isBuiltin)).toBe(false);
  });
});

describe('checkContents', () => {
  const manifest = {
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    main: './dist/index.js',
  };
  const map = JSON.stringify({ version: 3, sources: ['../src/index.ts'], mappings: '' });
  const shipped = ['README.md', 'dist/index.d.ts', 'dist/index.d.ts.map', 'dist/index.js', 'openapi.json', 'package.json'];

  it('flags development files, missing export targets and maps whose sources do not ship', () => {
    const dir = fixture({ 'package.json': JSON.stringify(manifest), 'dist/index.d.ts.map': map });
    const problems = checkContents(dir, [...shipped.filter((f) => f !== 'dist/index.js'), 'test/a.test.ts', 'src/x.test.ts']);
    expect(problems).toEqual(
      expect.arrayContaining([
        'ships a development file: test/a.test.ts',
        'ships a development file: src/x.test.ts',
        'missing dist/index.js (referenced by package.json or required to ship)',
        'dist/index.d.ts.map points at src/index.ts, which is not shipped',
      ]),
    );
  });

  it('passes a complete, clean file list', () => {
    const dir = fixture({ 'package.json': JSON.stringify(manifest), 'dist/index.d.ts.map': map });
    expect(checkContents(dir, [...shipped, 'src/index.ts'])).toEqual([]);
  });

  it('collects every exports condition, main and types', () => {
    expect(exportTargets({ ...manifest, types: './dist/index.d.ts' })).toEqual(['dist/index.d.ts', 'dist/index.js']);
  });
});

describe('consumer project', () => {
  it('imports both entry points by package name and keeps the must-not-compile line', () => {
    const main = consumerFiles()['src/main.ts'] ?? '';
    expect(main).toContain("from 'dollr-client'");
    expect(main).toContain("from 'dollr-client/testing'");
    expect(main).toMatch(/@ts-expect-error[^\n]*\n\s*session_id: 42,/);
    expect(main).toContain(CONSUMER_OK);
  });
});
