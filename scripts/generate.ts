/**
 * `npm run generate`: fetch the Dollr OpenAPI document, validate it, and write
 * openapi.json + src/generated/schema.ts atomically, printing what changed.
 * `npm run generate -- --check`: verify src/generated matches the committed snapshot.
 * See scripts/lib/args.ts for the options.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseCliArgs, USAGE } from './lib/args.js';
import { checkOutputs } from './lib/check.js';
import { GENERATED_DIR, OPENAPI_FILE, buildOutputs } from './lib/codegen.js';
import { diffSpecs, formatSummary } from './lib/diff-spec.js';
import { GenerateError } from './lib/errors.js';
import { describeSource, firstLine, loadSpecText, parseSpecText, resolveSource, timeoutFromEnv } from './lib/load-spec.js';
import { writeOutputsAtomic } from './lib/write-atomic.js';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const root = resolve(args.root ?? process.cwd());
  if (args.check) return runCheck(root);

  const source = resolveSource(args.from, process.env, process.cwd());
  const text = await loadSpecText(source, timeoutFromEnv(process.env));
  const spec = parseSpecText(text, describeSource(source));
  // Validation and rendering happen fully in memory before anything is written.
  const outputs = await buildOutputs(spec);
  const previous = await readPrevious(root);
  const diff = diffSpecs(previous.spec, JSON.parse(outputs.openapiJson) as unknown);

  // openapi.json goes last: if a rename fails midway, --check reports the mismatch.
  const result = await writeOutputsAtomic(root, { ...outputs.files, [OPENAPI_FILE]: outputs.openapiJson }, GENERATED_DIR);

  if (previous.note) console.log(`generate: ${previous.note}`);
  if (!diff.firstSnapshot) console.log('generate: operation changes against the previous openapi.json:');
  for (const line of formatSummary(diff)) console.log(line);
  // The committed snapshot is a reconstruction; a live document carries no such markers.
  console.log(
    `generate: ${outputs.operationCount} operation${outputs.operationCount === 1 ? '' : 's'}, ${outputs.reconstructedCount} marked x-reconstructed` +
      (outputs.reconstructedCount > 0 ? ' (not verbatim from Dollr: see their x-source / x-reconstructed notes)' : ''),
  );
  const touched = [...result.written.map((f) => `wrote ${f}`), ...result.removed.map((f) => `removed stale ${f}`)];
  console.log(`generate: ${touched.length > 0 ? touched.join(', ') : 'all files already up to date'}`);
  return 0;
}

async function runCheck(root: string): Promise<number> {
  const { problems, title } = await checkOutputs(root);
  if (problems.length === 0) {
    console.log(`generate --check: OK, ${GENERATED_DIR} matches ${OPENAPI_FILE} (${title})`);
    return 0;
  }
  for (const problem of problems) console.error(`generate --check: ${problem}`);
  console.error(`generate --check: run \`npm run generate -- --from ${OPENAPI_FILE}\` to regenerate from the snapshot`);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Expected failures are one line; anything else is a bug worth a stack trace.
    if (error instanceof GenerateError) {
      console.error(`generate: ${firstLine(error.message)}`);
    } else {
      console.error(`generate: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    process.exitCode = 1;
  },
);
