/**
 * Codegen time and output size, measuring OUR generator: scripts/lib/codegen.ts `buildOutputs`
 * (spec validation + openapi-typescript rendering, all in memory, no disk), the same code path
 * `npm run generate` uses.
 *
 * Inputs: the committed openapi.json, plus synthetic specs of 100 / 1,000 / 5,000 operations built
 * here. Each synthetic operation is realistic for a payments API: a POST with path params
 * (`version` as const v1, like Dollr, and an id), an optional query param, bearer security, a
 * $ref'd request body schema, a $ref'd 200 response schema and a shared 422 schema; each
 * operation has its own request/response schemas (string, integer, nullable anyOf, enum,
 * date-time, array, map, nested $refs to shared schemas), so output grows with the operation count.
 * ms/operation is reported so (non-)linearity is visible.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { buildOutputs } from '../scripts/lib/codegen.js';
import { spread, type Spread } from './stats.js';

export const CODEGEN_TARGET_MS_5000 = 10_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CodegenRow {
  name: string;
  operations: number;
  schemas: number;
  specJsonBytes: number;
  reps: number;
  ms: Spread;
  /** Process CPU time (user+system) for the same call; wall ≫ CPU means the machine was contended. */
  cpuMs: Spread;
  msPerOperation: number;
  /** Bytes of all generated files (src/generated/schema.ts) and of the canonical openapi.json. */
  outputBytes: number;
  openapiJsonBytes: number;
  outputLines: number;
}

export interface CodegenResult {
  generator: string;
  committedSpecSource: string;
  rows: CodegenRow[];
  targetMs5000: number;
  meetsTarget: boolean | null;
}

// ---------------------------------------------------------------------------------------------
// Synthetic spec.
// ---------------------------------------------------------------------------------------------

export function syntheticSpec(operations: number): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    Money: {
      type: 'object',
      title: 'Money',
      required: ['amount', 'currency'],
      properties: {
        amount: { anyOf: [{ type: 'number' }, { type: 'integer' }], title: 'Amount' },
        currency: { type: 'string', title: 'Currency', description: 'ISO 4217, uppercase', minLength: 3, maxLength: 3 },
      },
    },
    LineItem: {
      type: 'object',
      title: 'LineItem',
      required: ['sku', 'quantity'],
      properties: {
        sku: { type: 'string', title: 'Sku' },
        quantity: { type: 'integer', title: 'Quantity', minimum: 1 },
        price: { $ref: '#/components/schemas/Money' },
      },
    },
    ValidationError: {
      type: 'object',
      title: 'ValidationError',
      required: ['loc', 'msg', 'type'],
      properties: {
        loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, title: 'Location' },
        msg: { type: 'string', title: 'Message' },
        type: { type: 'string', title: 'Error Type' },
      },
    },
    HTTPValidationError: {
      type: 'object',
      title: 'HTTPValidationError',
      properties: { detail: { type: 'array', items: { $ref: '#/components/schemas/ValidationError' }, title: 'Detail' } },
    },
  };
  for (let i = 0; i < operations; i++) {
    const group = `group-${Math.floor(i / 20)}`;
    const req = `Operation${i}Payload`;
    const res = `Operation${i}Response`;
    paths[`/{version}/${group}/resource-${i}/{resource_id}`] = {
      post: {
        tags: [group],
        summary: `Operation ${i}`,
        operationId: `operation_${i}__version__${group.replace('-', '_')}_resource_${i}_post`,
        parameters: [
          { name: 'version', in: 'path', required: true, schema: { const: 'v1', type: 'string', title: 'API version' } },
          { name: 'resource_id', in: 'path', required: true, schema: { type: 'string', title: 'Resource Id' } },
          { name: 'dry_run', in: 'query', required: false, schema: { type: 'boolean', default: false, title: 'Dry Run' } },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${req}` } } } },
        responses: {
          '200': { description: 'Successful Response', content: { 'application/json': { schema: { $ref: `#/components/schemas/${res}` } } } },
          '422': {
            description: 'Validation Error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPValidationError' } } },
          },
        },
        security: [{ HTTPBearer: [] }],
      },
    };
    schemas[req] = {
      type: 'object',
      title: req,
      description: `Request body of operation ${i}`,
      required: ['reference_id', 'amount', 'kind'],
      properties: {
        reference_id: { type: 'string', format: 'uuid', title: 'Reference Id', description: 'A version-4 UUID' },
        amount: { $ref: '#/components/schemas/Money' },
        kind: { type: 'string', enum: ['STANDARD', 'EXPRESS', 'SCHEDULED'], title: 'Kind' },
        note: { anyOf: [{ type: 'string', maxLength: 140 }, { type: 'null' }], title: 'Note' },
        count: { type: 'integer', minimum: 0, title: 'Count' },
        tags: { type: 'array', items: { type: 'string' }, title: 'Tags' },
      },
    };
    schemas[res] = {
      type: 'object',
      title: res,
      description: `Response of operation ${i}`,
      required: ['id', 'status', 'amount', 'created_at'],
      properties: {
        id: { type: 'string', title: 'Id' },
        status: { type: 'string', enum: ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'], title: 'Status' },
        amount: { $ref: '#/components/schemas/Money' },
        created_at: { type: 'string', format: 'date-time', title: 'Created At' },
        message: { anyOf: [{ type: 'string' }, { type: 'null' }], title: 'Message' },
        requires_action: { anyOf: [{ type: 'boolean' }, { type: 'null' }], title: 'Requires Action' },
        items: { type: 'array', items: { $ref: '#/components/schemas/LineItem' }, title: 'Items' },
        metadata: { type: 'object', additionalProperties: { type: 'string' }, title: 'Metadata' },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: `Synthetic ${operations}-operation API`, version: '1.0.0' },
    paths,
    components: { schemas, securitySchemes: { HTTPBearer: { type: 'http', scheme: 'bearer' } } },
  };
}

/** The committed openapi.json. */
export function committedSpec(): { spec: unknown; source: string } {
  return { spec: JSON.parse(readFileSync(`${ROOT}/openapi.json`, 'utf8')) as unknown, source: 'openapi.json' };
}

function countOps(spec: unknown): { operations: number; schemas: number } {
  const s = spec as { paths?: Record<string, Record<string, unknown>>; components?: { schemas?: Record<string, unknown> } };
  let operations = 0;
  for (const item of Object.values(s.paths ?? {}))
    for (const m of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) if (item[m]) operations++;
  return { operations, schemas: Object.keys(s.components?.schemas ?? {}).length };
}

// ---------------------------------------------------------------------------------------------
// Measurement.
// ---------------------------------------------------------------------------------------------

export interface CodegenOptions {
  sizes: readonly number[];
  /** Repetitions for a given operation count. */
  reps: (operations: number) => number;
  gc?: () => void;
  log?: (line: string) => void;
}

async function timeOne(
  name: string,
  spec: unknown,
  reps: number,
  gc?: () => void,
): Promise<CodegenRow> {
  const { operations, schemas } = countOps(spec);
  const specJsonBytes = Buffer.byteLength(JSON.stringify(spec));
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let outputBytes = 0;
  let openapiJsonBytes = 0;
  let outputLines = 0;
  for (let r = 0; r < reps; r++) {
    // buildOutputs must not depend on a mutated input: hand it a fresh copy each time (not timed).
    const input = structuredClone(spec);
    gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await buildOutputs(input);
    times.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
    const files = Object.values(out.files);
    outputBytes = files.reduce((n, f) => n + Buffer.byteLength(f), 0);
    outputLines = files.reduce((n, f) => n + f.split('\n').length, 0);
    openapiJsonBytes = Buffer.byteLength(out.openapiJson);
  }
  const ms = spread(times);
  return {
    name,
    operations,
    schemas,
    specJsonBytes,
    reps,
    ms,
    cpuMs: spread(cpuTimes),
    msPerOperation: ms.median / operations,
    outputBytes,
    openapiJsonBytes,
    outputLines,
  };
}

export async function runCodegenBench(opts: CodegenOptions): Promise<CodegenResult> {
  const log = opts.log ?? (() => {});
  const committed = committedSpec();
  // Warm-up: module loading and JIT of the generator, not timed.
  await buildOutputs(syntheticSpec(50));
  const rows: CodegenRow[] = [];
  rows.push(await timeOne('committed spec', committed.spec, opts.reps(1), opts.gc));
  log(`  committed spec: ${rows[0]?.ms.median.toFixed(1)} ms`);
  for (const n of opts.sizes) {
    const row = await timeOne(`synthetic ${n} ops`, syntheticSpec(n), opts.reps(n), opts.gc);
    rows.push(row);
    log(`  synthetic ${n}: ${row.ms.median.toFixed(0)} ms (${row.reps} reps)`);
  }
  const big = rows.find((r) => r.name === 'synthetic 5000 ops');
  return {
    generator: 'scripts/lib/codegen.ts buildOutputs (validateSpec + openapi-typescript 7.13.0 openapiTS + astToString)',
    committedSpecSource: committed.source,
    rows,
    targetMs5000: CODEGEN_TARGET_MS_5000,
    meetsTarget: big ? big.ms.median <= CODEGEN_TARGET_MS_5000 : null,
  };
}
