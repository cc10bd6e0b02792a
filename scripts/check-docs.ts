/**
 * `npx tsx scripts/check-docs.ts`: the documentation cannot rot. Keeps three rules, for README.md,
 * CONTRIBUTING.md and docs/*.md:
 *  1. every ```ts block compiles on its own, imports included (a reader copies one block at a
 *     time): each block is its own module in ONE TypeScript program (fast), with `dollr-client`
 *     and its subpath entries (package.json `exports`) resolved to src/;
 *  2. the README's first ```ts block, and every block after a `<!-- run -->` line, runs exactly
 *     as written (tsx, same resolution) and exits 0;
 *  3. relative links point at files that exist, and `#anchors` at headings that exist.
 * A block that is deliberately a fragment says so with `<!-- fragment -->` on the line before
 * it; it is neither compiled nor run. test/docs.test.ts runs this as part of `npm test`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where blocks are written to be run; git-ignored. */
const WORK_DIR = join(ROOT, '.cache', 'docs-check');

export type Marker = 'run' | 'fragment';

export interface Block {
  /** Path relative to the repository root, e.g. `docs/payouts.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  marker: Marker | undefined;
}

export interface Problem {
  file: string;
  line: number;
  message: string;
}

/** README.md, CONTRIBUTING.md and every docs/*.md that exist, relative to `root`. */
export function docFiles(root = ROOT): string[] {
  const docs = existsSync(join(root, 'docs'))
    ? readdirSync(join(root, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  return ['README.md', 'CONTRIBUTING.md', ...docs].filter((file) => existsSync(join(root, file)));
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*(run|fragment)\s*-->\s*$/;

/** The ```ts (or ```typescript) blocks of a markdown text, with the marker on the line before each. */
export function extractBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, , fence, lang] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const marker = MARKER.exec(lines[i - 1]?.trim() ?? '')?.[1] as Marker | undefined;
      blocks.push({ file, line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n', marker });
    }
    i = end;
  }
  return blocks;
}

/** The blocks that must run: the README's first, and every block marked `<!-- run -->`. */
export function runnableBlocks(blocks: readonly Block[]): Block[] {
  const first = blocks.find((block) => block.file === 'README.md');
  return blocks.filter((block) => block === first || block.marker === 'run');
}

function virtualName(block: Block): string {
  return join(WORK_DIR, `${block.file.replace(/[/.]/g, '_')}_L${block.line}.mts`);
}

/**
 * `dollr-client` and each of its subpath entries (`dollr-client/testing`, ...), from package.json's
 * `exports` (`./dist/x.d.ts` is built from `src/x.ts`), as absolute source paths.
 */
export function entryPaths(root = ROOT): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  const paths: Record<string, string> = {};
  for (const [key, target] of Object.entries(manifest.exports)) {
    const types = typeof target === 'object' ? target.types : undefined;
    if (types === undefined) continue;
    const source = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
    paths[key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`] = join(root, source);
  }
  return paths;
}

function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    paths: Object.fromEntries(Object.entries(entryPaths(root)).map(([name, path]) => [name, [path]])),
  };
}

/** Type-checks every block that is not a fragment, each as its own module, in one program. */
export function compileBlocks(blocks: readonly Block[], root = ROOT): Problem[] {
  const sources = new Map<string, Block>();
  for (const block of blocks) if (block.marker !== 'fragment') sources.set(virtualName(block), block);
  if (sources.size === 0) return [];
  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => sources.has(path) || fileExists.call(host, path);
  host.readFile = (path) => sources.get(path)?.code ?? readFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const block = sources.get(path);
    return block ? ts.createSourceFile(path, block.code, language, true) : getSourceFile.call(host, path, language, ...rest);
  };
  const program = ts.createProgram([...sources.keys()], options, host);
  const problems: Problem[] = [];
  for (const [path, block] of sources) {
    const source = program.getSourceFile(path)!;
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const at = diagnostic.start === undefined ? 0 : source.getLineAndCharacterOfPosition(diagnostic.start).line;
      problems.push({
        file: block.file,
        line: block.line + 1 + at,
        message: `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
      });
    }
  }
  return problems;
}

/** Runs one block exactly as written (tsx, `dollr-client` resolved to src/); a non-zero exit is a problem. */
export async function runBlock(block: Block, root = ROOT, timeoutMs = 60_000): Promise<Problem[]> {
  mkdirSync(WORK_DIR, { recursive: true });
  const tsconfig = join(WORK_DIR, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: relative(WORK_DIR, join(root, 'tsconfig.json')),
      compilerOptions: {
        paths: Object.fromEntries(Object.entries(entryPaths(root)).map(([name, path]) => [name, [relative(WORK_DIR, path)]])),
      },
      include: ['*.mts'],
    }),
  );
  const file = virtualName(block);
  writeFileSync(file, block.code);
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return new Promise((done) => {
    execFile(process.execPath, [tsx, '--tsconfig', tsconfig, file], { cwd: WORK_DIR, timeout: timeoutMs }, (error, _stdout, stderr) => {
      if (!error) return done([]);
      const why = error.killed ? `did not finish in ${timeoutMs} ms` : `exited ${String(error.code)}`;
      done([{ file: block.file, line: block.line, message: `the block ${why}: ${stderr.trim().split('\n').slice(-5).join(' | ')}` }]);
    });
  });
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens, `-1` for repeats. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of stripCode(markdown, false).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Blanks fenced blocks and (if `inline`) inline code, keeping line numbers, so links inside them are not checked. */
function stripCode(markdown: string, inline = true): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines
    .map((line) => {
      const open = FENCE.exec(line);
      if (fence !== undefined) {
        if (line.trimStart().startsWith(fence)) fence = undefined;
        return '';
      }
      if (open) {
        fence = open[2];
        return '';
      }
      return inline ? line.replace(/`[^`]*`/g, '``') : line;
    })
    .join('\n');
}

const LINK = /\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/** Relative links of `file` that point at a missing file or heading. */
export function checkLinks(file: string, markdown: string, root = ROOT, read = (path: string) => readFileSync(path, 'utf8')): Problem[] {
  const problems: Problem[] = [];
  stripCode(markdown)
    .split('\n')
    .forEach((line, index) => {
      for (const [, target] of line.matchAll(LINK)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
        const [path, anchor] = target!.split('#', 2) as [string, string | undefined];
        const targetFile = path === '' ? file : relative(root, resolve(root, dirname(file), decodeURI(path)));
        const absolute = join(root, targetFile);
        const problem = (message: string) => problems.push({ file, line: index + 1, message: `${target}: ${message}` });
        if (path !== '' && !existsSync(absolute)) {
          problem('no such file');
          continue;
        }
        if (anchor === undefined || anchor === '' || !targetFile.endsWith('.md')) continue;
        const text = targetFile === file ? markdown : read(absolute);
        if (!anchorsOf(text).has(anchor)) problem(`no heading with anchor #${anchor} in ${targetFile}`);
      }
    });
  return problems;
}

/** Every check over every doc file. */
export async function checkDocs(root = ROOT): Promise<{ blocks: Block[]; problems: Problem[] }> {
  const blocks: Block[] = [];
  const problems: Problem[] = [];
  for (const file of docFiles(root)) {
    const markdown = readFileSync(join(root, file), 'utf8');
    blocks.push(...extractBlocks(markdown, file));
    problems.push(...checkLinks(file, markdown, root));
  }
  problems.push(...compileBlocks(blocks, root));
  // One at a time: each block may start a sandbox; the machine is shared.
  for (const block of runnableBlocks(blocks)) problems.push(...(await runBlock(block, root)));
  return { blocks, problems };
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { blocks, problems } = await checkDocs();
  const ran = runnableBlocks(blocks).length;
  if (problems.length > 0) {
    console.error(formatProblems(problems));
    console.error(`\n${problems.length} problem(s) in the docs`);
    process.exitCode = 1;
  } else {
    console.log(`docs ok: ${blocks.length} TypeScript blocks compiled, ${ran} run, links checked in ${docFiles().length} files`);
  }
}
