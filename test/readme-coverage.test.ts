// The README's API coverage table is what scripts/coverage.ts prints from openapi.json now,
// so the README cannot drift from the spec (regenerate, then paste the script's output).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coverageTable, readSpec } from '../scripts/coverage.js';

const START = '<!-- coverage:start -->';
const END = '<!-- coverage:end -->';

describe('README API coverage table', () => {
  it('equals the output of `npx tsx scripts/coverage.ts`', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(START);
    const end = readme.indexOf(END, start);
    expect(start, `README.md needs ${START} ... ${END} around the coverage table`).toBeGreaterThanOrEqual(0);
    expect(end, `README.md needs ${END} after ${START}`).toBeGreaterThan(start);
    expect(readme.slice(start + START.length, end).trim()).toBe(coverageTable(readSpec()).trim());
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
});
