// What the docs promise stays true of the code:
// - the API coverage table (docs/regenerating.md) is what scripts/coverage.ts prints from
//   openapi.json now, so it cannot drift from the spec (regenerate, then paste the output);
// - every public export of both entries is named in README.md or a guide, so nothing a user
//   can import is undocumented (the API reference, `npm run docs`, adds the doc comments).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { coverageTable, readSpec } from '../scripts/coverage.js';

const START = '<!-- coverage:start -->';
const END = '<!-- coverage:end -->';
const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

describe('API coverage table', () => {
  it('equals the output of `npx tsx scripts/coverage.ts`', () => {
    const doc = read('docs/regenerating.md');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END, start);
    expect(start, `docs/regenerating.md needs ${START} ... ${END} around the coverage table`).toBeGreaterThanOrEqual(0);
    expect(end, `docs/regenerating.md needs ${END} after ${START}`).toBeGreaterThan(start);
    expect(doc.slice(start + START.length, end).trim()).toBe(coverageTable(readSpec()).trim());
  });

  it('counts every operation and marks only those without x-reconstructed as verbatim', () => {
    const spec = {
      paths: {
        '/{version}/a': { get: { tags: ['t'] }, post: { tags: ['t'], 'x-reconstructed': ['x'] } },
        '/{version}/b/{id}': { put: { tags: ['u'], 'x-reconstructed': ['y'] }, parameters: [] },
      },
    };
    expect(coverageTable(spec).split('\n')).toEqual([
      '| tag | operations (paths under `/v1`) | fidelity |',
      '|---|---|---|',
      '| t | 2: `GET /a`, `POST /a` | 1 verbatim, 1 reconstructed |',
      '| u | 1: `PUT /b/{id}` | 1 reconstructed |',
      '| **2 tags** | **3** | **1 verbatim, 2 reconstructed** |',
    ]);
  });

  it('the README states the provenance in its first screen', () => {
    // The first screen, as read: blockquote markers and line breaks flattened.
    const firstScreen = read('README.md').split('\n').slice(0, 40).map((line) => line.replace(/^>\s?/, '')).join(' ').replace(/\s+/g, ' ');
    const [, verbatim, reconstructed] = /\*\*(\d+) verbatim, (\d+) reconstructed\*\*/.exec(coverageTable(readSpec()))!;
    expect(firstScreen).toContain(`**${verbatim} are verbatim**`);
    expect(firstScreen).toContain(`**${reconstructed} are reconstructed**`);
    expect(firstScreen).toContain('npm run generate');
  });
});

function moduleOf(entry: string) {
  const file = new URL(entry, root).pathname;
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  return { checker, symbol: checker.getSymbolAtLocation(program.getSourceFile(file)!)! };
}

/** Names exported by an entry point, types included. */
function exportsOf(entry: string): string[] {
  const { checker, symbol } = moduleOf(entry);
  return checker.getExportsOfModule(symbol).map((s) => s.name).sort();
}

describe('the README options table', () => {
  it('has a row for every option of createDollrClient', () => {
    const { checker, symbol } = moduleOf('src/index.ts');
    const options = checker.getExportsOfModule(symbol).find((s) => s.name === 'DollrClientOptions')!;
    const names = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(options)).getProperties().map((p) => p.name);
    expect(names).toContain('auth');
    const readme = read('README.md');
    expect(names.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });
});

describe('every public export is documented', () => {
  const docs = [read('README.md'), ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).map((f) => read(`docs/${f}`))].join('\n');

  it.each(['src/index.ts', 'src/testing/index.ts'])('%s', (entry) => {
    const names = exportsOf(entry);
    expect(names.length).toBeGreaterThan(10);
    const undocumented = names.filter((name) => !new RegExp(`\\b${name}\\b`).test(docs));
    expect(undocumented, 'name each export in README.md or a guide in docs/').toEqual([]);
  });
});
