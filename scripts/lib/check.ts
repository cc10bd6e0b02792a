import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GENERATED_DIR, OPENAPI_FILE, buildOutputs } from './codegen.js';
import { GenerateError } from './errors.js';
import { parseSpecText } from './load-spec.js';
import { listFiles } from './write-atomic.js';

export interface CheckResult {
  problems: string[];
  title: string;
}

/**
 * Regenerate from the committed openapi.json in memory and compare with the disk.
 * Never fetches: CI must not depend on Dollr being reachable.
 */
export async function checkOutputs(root: string): Promise<CheckResult> {
  const specPath = join(root, OPENAPI_FILE);
  let committed: string;
  try {
    committed = await readFile(specPath, 'utf8');
  } catch {
    throw new GenerateError(`--check: no ${OPENAPI_FILE} in ${root}; run npm run generate first`);
  }
  const spec = parseSpecText(committed, OPENAPI_FILE);
  const outputs = await buildOutputs(spec);
  const problems: string[] = [];
  // The header hashes the canonical bytes, so a reformatted openapi.json is drift too.
  if (committed !== outputs.openapiJson) {
    problems.push(`${OPENAPI_FILE} is not in generator format (reformatted by hand?)`);
  }
  const onDisk = await listFiles(root, GENERATED_DIR);
  for (const [rel, expected] of Object.entries(outputs.files)) {
    if (!onDisk.includes(rel)) {
      problems.push(`${rel} is missing`);
      continue;
    }
    const actual = await readFile(join(root, rel), 'utf8');
    if (actual !== expected) problems.push(`${rel} is stale (differs from what ${OPENAPI_FILE} generates)`);
  }
  for (const rel of onDisk) {
    if (!Object.hasOwn(outputs.files, rel)) problems.push(`${rel} is extra (not produced by the generator)`);
  }
  const info = (spec as { info: { title: string; version: string } }).info;
  return { problems, title: `${info.title} ${info.version}` };
}
