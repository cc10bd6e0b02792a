/**
 * The generate command as a function of (argv, environment, output streams): the CLI in
 * scripts/generate.ts is a thin wrapper, and tests run it in-process instead of spawning
 * a TypeScript runner per case. Expected failures are one line on `err`; anything else is
 * a bug and prints its stack.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseCliArgs, USAGE } from './args.js';
import { checkOutputs } from './check.js';
import { GENERATED_DIR, OPENAPI_FILE, buildOutputs } from './codegen.js';
import { diffSpecs, formatSummary } from './diff-spec.js';
import { GenerateError } from './errors.js';
import { describeSource, firstLine, loadSpecText, parseSpecText, resolveSource, timeoutFromEnv } from './load-spec.js';
import { writeOutputsAtomic } from './write-atomic.js';

export interface GenerateIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out(line: string): void;
  err(line: string): void;
}

/** Runs `npm run generate` with these arguments; resolves to the exit code, never rejects. */
export async function runGenerate(argv: readonly string[], io: GenerateIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    if (error instanceof GenerateError) {
      io.err(`generate: ${firstLine(error.message)}`);
    } else {
      io.err(`generate: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    return 1;
  }
}

async function main(argv: readonly string[], io: GenerateIo): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const root = resolve(io.cwd, args.root ?? '.');
  if (args.check) return runCheck(root, io);

  const source = resolveSource(args.from, io.env, io.cwd);
  const text = await loadSpecText(source, timeoutFromEnv(io.env));
  const spec = parseSpecText(text, describeSource(source));
  // Validation and rendering happen fully in memory before anything is written.
  const outputs = await buildOutputs(spec);
  const previous = await readPrevious(root);
  const diff = diffSpecs(previous.spec, JSON.parse(outputs.openapiJson) as unknown);

  // openapi.json goes last: if a rename fails midway, --check reports the mismatch.
  const result = await writeOutputsAtomic(root, { ...outputs.files, [OPENAPI_FILE]: outputs.openapiJson }, GENERATED_DIR);

  if (previous.note) io.out(`generate: ${previous.note}`);
  if (!diff.firstSnapshot) io.out('generate: operation changes against the previous openapi.json:');
  for (const line of formatSummary(diff)) io.out(line);
  // The committed snapshot is a reconstruction; a live document carries no such markers.
  io.out(
    `generate: ${outputs.operationCount} operation${outputs.operationCount === 1 ? '' : 's'}, ${outputs.reconstructedCount} marked x-reconstructed` +
      (outputs.reconstructedCount > 0 ? ' (not verbatim from Dollr: see their x-source / x-reconstructed notes)' : ''),
  );
  const touched = [...result.written.map((f) => `wrote ${f}`), ...result.removed.map((f) => `removed stale ${f}`)];
  io.out(`generate: ${touched.length > 0 ? touched.join(', ') : 'all files already up to date'}`);
  return 0;
}

async function runCheck(root: string, io: GenerateIo): Promise<number> {
  const { problems, title } = await checkOutputs(root);
  if (problems.length === 0) {
    io.out(`generate --check: OK, ${GENERATED_DIR} matches ${OPENAPI_FILE} (${title})`);
    return 0;
  }
  for (const problem of problems) io.err(`generate --check: ${problem}`);
  io.err(`generate --check: run \`npm run generate -- --from ${OPENAPI_FILE}\` to regenerate from the snapshot`);
  return 1;
}

/** The old snapshot, for the change summary only; a broken one just means "first snapshot". */
async function readPrevious(root: string): Promise<{ spec: unknown; note?: string }> {
  let text: string;
  try {
    text = await readFile(join(root, OPENAPI_FILE), 'utf8');
  } catch {
    return { spec: undefined };
  }
  try {
    return { spec: parseSpecText(text, OPENAPI_FILE) };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { spec: undefined, note: `previous ${OPENAPI_FILE} is unreadable (${why}); summarising as a first snapshot` };
  }
}

