// The main entry must run on Node, Bun, Deno, edge and in bundlers: no `node:` imports
// (or bare Node built-ins) anywhere in the modules index.ts pulls in.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const srcDir = new URL('../../src/', import.meta.url);
// src/testing/ is the separate `dollr-client/testing` entry (it spawns Prism) and may use Node;
// so is src/batch/ (`dollr-client/batch`: a CLI, files, Postgres); src/generated/ holds types only.
const entryModules = readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
  .map((f) => f.split('\\').join('/'))
  .filter((f) => f.endsWith('.ts') && !f.startsWith('testing/') && !f.startsWith('batch/'));

describe('runtime neutrality of the main entry', () => {
  it('has modules to check', () => {
    expect(entryModules).toContain('index.ts');
    expect(entryModules).toContain('core/transport.ts');
  });

  it.each(entryModules)('%s imports no Node built-ins', (file) => {
    const text = readFileSync(new URL(file, srcDir), 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const specifier of specifiers) {
      expect(specifier).toMatch(/^(\.\.?\/|openapi-fetch$)/);
    }
    expect(text).not.toMatch(/\bprocess\.|\bBuffer\b|require\(/);
  });
});
