// The docs cannot rot: every TypeScript block in README.md, CONTRIBUTING.md and docs/*.md compiles
// on its own, the README's first block (and every `<!-- run -->` block) runs against the embedded
// sandbox, and relative links resolve (scripts/check-docs.ts). The checker's own rules are
// tested on small inputs, so a checker that passes everything would fail here.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ROOT,
  anchorsOf,
  checkDocs,
  checkLinks,
  compileBlocks,
  extractBlocks,
  formatProblems,
  runnableBlocks,
} from '../scripts/check-docs.js';
import type { Block } from '../scripts/check-docs.js';

describe('the docs', () => {
  it('compile block by block, run where marked, and link to what exists', async () => {
    const { blocks, problems } = await checkDocs();
    expect(formatProblems(problems)).toBe('');
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThan(5);
    // Fragments are the exception: few, and each deliberate.
    expect(blocks.filter((b) => b.marker === 'fragment').length).toBeLessThanOrEqual(3);
  }, 240_000);

  it('the README is under 15,000 bytes and its first TypeScript block starts and closes the sandbox', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThan(15_000);
    const first = runnableBlocks(extractBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'README.md'))[0]!;
    expect(first.code).toContain("from 'dollr-client/testing'");
    expect(first.code).toMatch(/await startSandbox\(/);
    expect(first.code).toMatch(/await sandbox\.close\(\)/);
    expect(first.code).toContain('waitForExecution');
  });

  it('the README keeps its two commands for a fresh clone', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm run example');
    expect(readme).toMatch(/^npm test\b/m);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.example).toBeDefined();
    expect(scripts.test).toContain('vitest run');
  });
});

describe('the docs checker', () => {
  let line = 0;
  const block = (code: string, marker?: Block['marker']): Block => ({ file: 'docs/x.md', line: (line += 10), code, marker });

  it('reports a block that does not compile, at its line, and skips fragments', () => {
    const problems = compileBlocks([
      block("import { createDollrClient } from 'dollr-client';\n\ncreateDollrClient({ auht: 'token' });\n"),
      block("import { startSandbox } from 'dollr-client/testing';\nconst s = await startSandbox();\nawait s.close();\n"),
      block('undefinedThing();\n', 'fragment'),
      block('const x: number = "one";\n'),
    ]);
    expect(problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [13, 'TS2353'],
      [41, 'TS2322'],
    ]);
  });

  it('finds ts blocks and their markers, not other languages', () => {
    const md = ['# T', '', '```sh', 'npm test', '```', '<!-- run -->', '```ts', 'a();', '```', '', '<!-- fragment -->', '```typescript', 'b', '```', '```ts', 'c', '```'].join('\n');
    expect(extractBlocks(md, 'README.md').map((b) => [b.line, b.code, b.marker])).toEqual([
      [7, 'a();\n', 'run'],
      [12, 'b\n', 'fragment'],
      [15, 'c\n', undefined],
    ]);
    // The README's first block runs even unmarked; elsewhere only marked blocks run.
    expect(runnableBlocks(extractBlocks('```ts\nx\n```\n```ts\ny\n```\n', 'README.md')).map((b) => b.code)).toEqual(['x\n']);
    expect(runnableBlocks(extractBlocks('```ts\nx\n```\n', 'docs/a.md'))).toEqual([]);
  });

  it('computes GitHub heading anchors', () => {
    expect([...anchorsOf('# dollr-client\n## Errors and recovery\n### `startSandbox(options?)`\n## Errors and recovery\n```sh\n# not a heading\n```')]).toEqual([
      'dollr-client',
      'errors-and-recovery',
      'startsandboxoptions',
      'errors-and-recovery-1',
    ]);
  });

  it('reports missing files and anchors, not external links or links in code', () => {
    const md = [
      '# Title',
      '[ok](README.md) [self](#title) [web](https://example.com/x.md) `[code](nowhere.md)`',
      '[gone](docs/nowhere.md) [bad anchor](README.md#no-such-heading) [bad self](#nope)',
    ].join('\n');
    const problems = checkLinks('x.md', md, ROOT, (path) => (path.endsWith('README.md') ? '# dollr-client\n' : ''));
    expect(problems.map((p) => p.message)).toEqual([
      'docs/nowhere.md: no such file',
      'README.md#no-such-heading: no heading with anchor #no-such-heading in README.md',
      '#nope: no heading with anchor #nope in x.md',
    ]);
  });
});
