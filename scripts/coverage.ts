/**
 * `npx tsx scripts/coverage.ts [openapi.json]`: prints the API coverage table (docs/regenerating.md) from the
 * spec: per tag, the operations and how many are verbatim vs reconstructed (`x-reconstructed`
 * on the operation). test/readme-coverage.test.ts keeps docs/regenerating.md equal to this output.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface CoverageDocument {
  paths?: Record<string, Record<string, unknown>>;
}

interface TagRow {
  tag: string;
  operations: string[];
  verbatim: number;
  reconstructed: number;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function fidelity(verbatim: number, reconstructed: number): string {
  const parts = [];
  if (verbatim > 0) parts.push(`${verbatim} verbatim`);
  if (reconstructed > 0) parts.push(`${reconstructed} reconstructed`);
  return parts.join(', ');
}

/** The Markdown table, tags in order of first appearance in the document. */
export function coverageTable(document: CoverageDocument): string {
  const rows = new Map<string, TagRow>();
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as { tags?: string[]; 'x-reconstructed'?: unknown } | undefined;
      if (operation === undefined) continue;
      const tag = operation.tags?.[0] ?? '(untagged)';
      let row = rows.get(tag);
      if (row === undefined) rows.set(tag, (row = { tag, operations: [], verbatim: 0, reconstructed: 0 }));
      // The client binds `{version}` to v1; the table shows paths below `/v1`.
      row.operations.push(`\`${method.toUpperCase()} ${template.replace(/^\/\{version\}/, '')}\``);
      if (operation['x-reconstructed'] === undefined) row.verbatim++;
      else row.reconstructed++;
    }
  }
  const all = [...rows.values()];
  const total = (key: 'verbatim' | 'reconstructed'): number => all.reduce((sum, row) => sum + row[key], 0);
  const count = all.reduce((sum, row) => sum + row.operations.length, 0);
  return [
    '| tag | operations (paths under `/v1`) | fidelity |',
    '|---|---|---|',
    ...all.map(
      (row) =>
        `| ${cell(row.tag)} | ${row.operations.length}: ${cell(row.operations.join(', '))} | ${fidelity(row.verbatim, row.reconstructed)} |`,
    ),
    `| **${all.length} tags** | **${count}** | **${fidelity(total('verbatim'), total('reconstructed'))}** |`,
  ].join('\n');
}

export const DEFAULT_SPEC = new URL('../openapi.json', import.meta.url);

export function readSpec(file: string | URL = DEFAULT_SPEC): CoverageDocument {
  return JSON.parse(readFileSync(file, 'utf8')) as CoverageDocument;
}

// Run as a script (not when the README test imports it).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const file = process.argv[2];
  console.log(coverageTable(readSpec(file === undefined ? DEFAULT_SPEC : resolve(file))));
}
