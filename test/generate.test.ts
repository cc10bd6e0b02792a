import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExpectStatic } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { runGenerate } from '../scripts/lib/cli.js';
import { buildOutputs } from '../scripts/lib/codegen.js';
import { diffSpecs, formatSummary } from '../scripts/lib/diff-spec.js';
import { validateSpec } from '../scripts/lib/validate-spec.js';
import { writeOutputsAtomic } from '../scripts/lib/write-atomic.js';

const REPO = resolve(import.meta.dirname, '..');
const FIXTURES = join(REPO, 'test/fixtures/generate');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const SCHEMA = 'src/generated/schema.ts';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const joinLines = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');

/**
 * The generate command in-process (scripts/lib/cli.ts, the code the CLI wraps): the same
 * arguments, environment and output, without a TypeScript runner spawned per case.
 */
async function runCli(args: string[], env: Record<string, string> = {}, cwd = REPO): Promise<RunResult> {
  const baseEnv = { ...process.env };
  // A stray DOLLR_OPENAPI_URL in the developer's shell must not leak into tests.
  delete baseEnv.DOLLR_OPENAPI_URL;
  delete baseEnv.DOLLR_OPENAPI_TIMEOUT_MS;
  const out: string[] = [];
  const err: string[] = [];
  const code = await runGenerate(args, { env: { ...baseEnv, ...env }, cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: joinLines(out), stderr: joinLines(err) };
}

/** The real CLI process (scripts/generate.ts under tsx): proves the wrapper passes argv, output and exit code through. */
function spawnCli(args: string[]): Promise<RunResult> {
  const env = { ...process.env };
  delete env.DOLLR_OPENAPI_URL;
  delete env.DOLLR_OPENAPI_TIMEOUT_MS;
  return new Promise((done) => {
    execFile(TSX, ['scripts/generate.ts', ...args], { cwd: REPO, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      done({ code, stdout, stderr: stderr.replace(/^npm warn.*\n/gm, '') });
    });
  });
}

/** sha256 of every file under root, keyed by relative path: "nothing touched" means equal maps. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out[relative(root, full)] = createHash('sha256').update(await readFile(full)).digest('hex');
  }
  return out;
}

let work: string;
let baseline: string;
let baseSpec: Record<string, unknown>;
/** What the CLI printed when it wrote the baseline. */
let firstStdout = '';

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(work, 'root-'));
  await cp(baseline, root, { recursive: true });
  return root;
}

async function writeSpec(name: string, content: string): Promise<string> {
  const path = join(work, name);
  await writeFile(path, content);
  return path;
}

function cloneBase(): Record<string, unknown> & { paths: Record<string, unknown>; components: { schemas: Record<string, Record<string, unknown>> } } {
  return structuredClone(baseSpec) as ReturnType<typeof cloneBase>;
}

function expectOneLine(text: string, check: ExpectStatic = expect): string {
  const lines = text.trim().split('\n');
  check(lines, text).toHaveLength(1);
  return lines[0] ?? '';
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dollr-generate-'));
  baseSpec = parseYaml(await readFile(join(FIXTURES, 'payout.yaml'), 'utf8')) as Record<string, unknown>;
  // Baseline root: an openapi.json + src/generated produced by the CLI itself.
  baseline = join(work, 'baseline');
  await mkdir(baseline);
  const first = await runCli(['--root', baseline, '--from', join(FIXTURES, 'payout.yaml')]);
  firstStdout = first.stdout;
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('generate: writing a snapshot', () => {
  it('writes openapi.json and src/generated/schema.ts with a hashed, timestamp-free header', async () => {
    const json = await readFile(join(baseline, 'openapi.json'), 'utf8');
    expect(JSON.parse(json)).toEqual(baseSpec);
    expect(json).toBe(`${JSON.stringify(baseSpec, null, 2)}\n`);
    const schema = await readFile(join(baseline, SCHEMA), 'utf8');
    const sha = createHash('sha256').update(json).digest('hex');
    const header = schema.slice(0, schema.indexOf('*/'));
    expect(header).toContain('Dollr Open API 1.0.0');
    expect(header).toContain(`sha256: ${sha}`);
    expect(header).toContain('npm run generate');
    expect(header).toMatch(/do not edit/i);
    expect(header).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(schema).toContain('export interface paths {');
    expect(schema).toContain('export interface components {');
    expect(schema).toContain('export interface operations {');
    expect(schema).toContain('"/{version}/executions/payout"');
    expect(await readdir(join(baseline, 'src/generated'))).toEqual(['operations.ts', 'schema.ts']);
    const operations = await readFile(join(baseline, 'src/generated/operations.ts'), 'utf8');
    expect(operations).toContain('{ method: "POST", path: "/{version}/executions/payout", operationId: "payout__version__executions_payout_post", tag: "executions" },');
    expect(operations).toContain('export type OperationKey');
  });

  it('counts the operations marked x-reconstructed (0 for a document straight from Dollr)', async () => {
    expect(firstStdout).toContain('generate: 1 operation, 0 marked x-reconstructed');
    const marked = cloneBase();
    const op = (marked.paths['/{version}/executions/payout'] as Record<string, Record<string, unknown>>).post;
    if (op) op['x-reconstructed'] = ['completed from the rendered page'];
    expect((await buildOutputs(marked)).reconstructedCount).toBe(1);
  });

  it('says the first run is a first snapshot', async () => {
    const root = await mkdtemp(join(work, 'empty-'));
    const run = await runCli(['--root', root, '--from', join(FIXTURES, 'payout.json')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('first snapshot');
    expect(run.stdout).toContain('+ POST /{version}/executions/payout');
  });

  it('JSON and YAML inputs (even YAML named .json) produce the same bytes', async () => {
    const fromJson = await mkdtemp(join(work, 'json-'));
    const fromYamlNamedJson = await mkdtemp(join(work, 'yaml-'));
    const yamlAsJson = await writeSpec('yaml-content.json', await readFile(join(FIXTURES, 'payout.yaml'), 'utf8'));
    const a = await runCli(['--root', fromJson, '--from', join(FIXTURES, 'payout.json')]);
    const b = await runCli(['--root', fromYamlNamedJson, '--from', yamlAsJson]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await snapshot(fromJson)).toEqual(await snapshot(baseline));
    expect(await snapshot(fromYamlNamedJson)).toEqual(await snapshot(baseline));
  });

  it('is deterministic: a second run and a run into a fresh root give identical bytes', async () => {
    const root = await freshRoot();
    const before = await snapshot(root);
    const again = await runCli(['--root', root, '--from', join(FIXTURES, 'payout.yaml')]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(none)');
    expect(await snapshot(root)).toEqual(before);
    const fresh = await mkdtemp(join(work, 'fresh-'));
    expect((await runCli(['--root', fresh, '--from', join(FIXTURES, 'payout.yaml')])).code).toBe(0);
    expect(await snapshot(fresh)).toEqual(before);
  });

  it('removes stale files in src/generated and leaves no temp files', async () => {
    const root = await freshRoot();
    await writeFile(join(root, 'src/generated/old-client.ts'), 'export {};\n');
    const run = await runCli(['--root', root, '--from', join(FIXTURES, 'payout.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('removed stale src/generated/old-client.ts');
    expect(await snapshot(root)).toEqual(await snapshot(baseline));
  });

  it('fetches over HTTP (DOLLR_OPENAPI_URL) and detects YAML by parsing, not content-type', async () => {
    const yaml = await readFile(join(FIXTURES, 'payout.yaml'), 'utf8');
    const server = await listen(createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(yaml)));
    try {
      const root = await mkdtemp(join(work, 'http-'));
      const run = await runCli(['--root', root], { DOLLR_OPENAPI_URL: `${urlOf(server)}/openapi.json` });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(await snapshot(root)).toEqual(await snapshot(baseline));
    } finally {
      await close(server);
    }
  });
});

describe('generate: change summary', () => {
  it('lists an added operation and marks a removed response field BREAKING', async () => {
    const next = cloneBase();
    next.paths['/{version}/status/payout/{reference_id}'] = {
      get: {
        operationId: 'payout_status',
        parameters: [{ name: 'reference_id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/ExecutionResponse' } } } },
        },
      },
    };
    const exec = next.components.schemas.ExecutionResponse as { properties: Record<string, unknown> };
    delete exec.properties.gateway_message;
    const root = await freshRoot();
    const run = await runCli(['--root', root, '--from', await writeSpec('changed.yaml', toYaml(next))]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('+ GET /{version}/status/payout/{reference_id}');
    expect(lines).toContain('~ POST /{version}/executions/payout');
    expect(lines).toContain('    - response 200 field gateway_message  BREAKING');
    // Only the one field is reported, and the added operation itself is not breaking.
    expect(lines.filter((l) => l.includes('BREAKING'))).toHaveLength(1);
    expect(JSON.parse(await readFile(join(root, 'openapi.json'), 'utf8'))).toEqual(next);
  });

  it('classifies nested request/response field changes', () => {
    const next = cloneBase();
    const schemas = next.components.schemas;
    const token = schemas.DollrPaymentModelsVerifyPasscodePayloadVerifyPasscodePayload as { required: string[] };
    token.required.push('phone'); // newly required nested request field
    const device = schemas.WithDevicePayload as { properties: Record<string, unknown>; required: string[] };
    device.properties.os_version = { type: 'string' }; // added optional request field
    device.properties.locale = { type: 'string' };
    device.required.push('locale'); // added required request field
    const payload = schemas.PayoutExecutionPayload as { properties: Record<string, unknown> };
    delete payload.properties.payout_account_id; // removed request field
    const exec = schemas.ExecutionResponse as { properties: Record<string, unknown> };
    exec.properties.status = { type: 'integer' }; // retyped response field
    exec.properties.fee = { type: 'number' }; // added response field

    const lines = formatSummary(diffSpecs(baseSpec, next));
    expect(lines).toEqual([
      '~ POST /{version}/executions/payout',
      '    ! request field passcode.token.phone made required  BREAKING',
      '    + request field passcode.device.os_version (string, optional)',
      '    + request field passcode.device.locale (string, required)  BREAKING',
      '    ~ response 200 field status retyped string -> integer  BREAKING',
      '    + response 200 field fee (number)',
      '    - request field payout_account_id  BREAKING',
      '0 added, 0 removed, 1 changed; 4 breaking changes',
    ]);
  });

  it('marks a removed operation BREAKING', () => {
    const next = cloneBase();
    next.paths['/{version}/other'] = { get: { responses: { '204': { description: 'none' } } } };
    delete next.paths['/{version}/executions/payout'];
    expect(formatSummary(diffSpecs(baseSpec, next))).toEqual([
      '+ GET /{version}/other',
      '- POST /{version}/executions/payout  BREAKING',
      '1 added, 1 removed, 0 changed; 1 breaking change',
    ]);
  });
});

describe('generate: bad input is rejected and touches nothing', { timeout: 40_000 }, () => {
  const dangling = (): string => {
    const spec = cloneBase();
    const op = (spec.paths['/{version}/executions/payout'] as { post: { responses: Record<string, unknown> } }).post;
    op.responses['200'] = { $ref: '#/components/responses/Nope' };
    return toYaml(spec);
  };
  const external = (): string => {
    const spec = cloneBase();
    spec.components.schemas.ExecutionResponse = { $ref: 'shared.yaml#/ExecutionResponse' };
    return JSON.stringify(spec);
  };
  const withVersion = (openapi: unknown): string => JSON.stringify({ ...cloneBase(), openapi });
  const cases: Array<[string, () => string, RegExp]> = [
    ['unparseable YAML', () => 'openapi: 3.1.0\npaths: [unclosed\n', /cannot parse .*invalid YAML/],
    ['unparseable JSON', () => '{"openapi": "3.1.0", "paths": ', /cannot parse .*invalid JSON/],
    ['Swagger 2.0', () => JSON.stringify({ swagger: '2.0', info: { title: 't', version: '1' }, paths: {} }), /Swagger\/OpenAPI 2\.0/],
    ['OpenAPI 3.2', () => withVersion('3.2.0'), /openapi "3\.2\.0" is not supported; expected 3\.0\.x or 3\.1\.x/],
    ['no operations', () => JSON.stringify({ ...cloneBase(), paths: { '/x': { parameters: [] } } }), /holds no operations/],
    [
      'a dangling $ref',
      dangling,
      /^generate: \$ref "#\/components\/responses\/Nope" at paths\.\/\{version\}\/executions\/payout\.post\.responses\.200 does not resolve$/,
    ],
    ['a non-local $ref', external, /\$ref "shared\.yaml#\/ExecutionResponse" at components\.schemas\.ExecutionResponse is not local/],
  ];

  // They share nothing, so run them side by side.
  it.concurrent.for(cases)('%s', async ([name, content, message], { expect }) => {
    const root = await freshRoot();
    const before = await snapshot(root);
    const run = await runCli(['--root', root, '--from', await writeSpec(`bad-${name.replace(/\W+/g, '-')}.yaml`, content())]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(expectOneLine(run.stderr, expect)).toMatch(message);
    expect(await snapshot(root)).toEqual(before);
  });

  it('resolves JSON-pointer escapes (~0, ~1) in local refs', () => {
    const spec = cloneBase();
    spec.components.schemas['a/b~c'] = { type: 'string' };
    (spec.components.schemas.PayoutExecutionPayload as { properties: Record<string, unknown> }).properties.extra = {
      $ref: '#/components/schemas/a~1b~0c',
    };
    expect(() => validateSpec(spec)).not.toThrow();
    (spec.components.schemas.PayoutExecutionPayload as { properties: Record<string, unknown> }).properties.extra = {
      $ref: '#/components/schemas/a~1b~1c',
    };
    expect(() => validateSpec(spec)).toThrow(/does not resolve/);
  });
});

describe.concurrent('generate: network failures fail cleanly, never fall back', { timeout: 40_000 }, () => {
  async function expectCleanFailure(
    expect: ExpectStatic,
    url: string,
    reason: RegExp,
    env: Record<string, string> = {},
  ): Promise<void> {
    const root = await freshRoot();
    const before = await snapshot(root);
    const started = Date.now();
    const run = await runCli(['--root', root, '--from', url], env);
    expect(run.code).not.toBe(0);
    const line = expectOneLine(run.stderr, expect);
    expect(line).toContain(url);
    expect(line).toMatch(reason);
    expect(line).toContain('--from <url|path>');
    expect(line).toContain('DOLLR_OPENAPI_URL');
    expect(await snapshot(root)).toEqual(before);
    expect(Date.now() - started).toBeLessThan(15_000);
  }

  it('connection refused (closed port)', async ({ expect }) => {
    const server = await listen(createServer());
    const url = `${urlOf(server)}/openapi.json`;
    await close(server); // the port is now closed
    await expectCleanFailure(expect, url, /connection refused/);
  });

  it('HTTP 500', async ({ expect }) => {
    const server = await listen(createServer((_req, res) => res.writeHead(500).end('boom')));
    try {
      await expectCleanFailure(expect, `${urlOf(server)}/openapi.json`, /HTTP 500/);
    } finally {
      await close(server);
    }
  });

  it('a server that never answers hits the (shortened) timeout', async ({ expect }) => {
    const server = await listen(createServer(() => undefined));
    try {
      await expectCleanFailure(expect, `${urlOf(server)}/openapi.json`, /timed out/, { DOLLR_OPENAPI_TIMEOUT_MS: '300' });
    } finally {
      await close(server);
    }
  });
});

describe('generate --check', () => {
  it('passes on a fresh snapshot without touching files or the network', async () => {
    const root = await freshRoot();
    const before = await snapshot(root);
    // An unreachable URL in the env proves --check never fetches.
    const run = await runCli(['--root', root, '--check'], { DOLLR_OPENAPI_URL: 'http://127.0.0.1:1/openapi.json' });
    expect(run.code).toBe(0);
    expect(expectOneLine(run.stdout)).toMatch(/^generate --check: OK/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('names a hand-edited file and a stray extra file', async () => {
    const root = await freshRoot();
    const schemaPath = join(root, SCHEMA);
    await writeFile(schemaPath, (await readFile(schemaPath, 'utf8')).replace('status: string;', 'status: number;'));
    await writeFile(join(root, 'src/generated/stray.ts'), 'export const x = 1;\n');
    const before = await snapshot(root);
    const run = await runCli(['--root', root, '--check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('src/generated/schema.ts is stale');
    expect(run.stderr).toContain('src/generated/stray.ts is extra');
    expect(await snapshot(root)).toEqual(before);
  });

  it('names a missing file', async () => {
    const root = await freshRoot();
    await rm(join(root, SCHEMA));
    const run = await runCli(['--root', root, '--check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('src/generated/schema.ts is missing');
  });

  it('passes on the committed repo snapshot', async () => {
    const run = await runCli(['--check']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('the generate CLI process', { timeout: 40_000 }, () => {
  it('exits 0 on the committed snapshot and prints its one line', async () => {
    const run = await spawnCli(['--check']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(expectOneLine(run.stdout)).toMatch(/^generate --check: OK/);
  });

  it('exits non-zero with one line on stderr for a bad argument, touching nothing', async () => {
    const root = await freshRoot();
    const before = await snapshot(root);
    const run = await spawnCli(['--root', root, '--from']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(expectOneLine(run.stderr)).toMatch(/^generate: --from needs a value/);
    expect(await snapshot(root)).toEqual(before);
  });
});

describe('programmatic API', () => {
  it('buildOutputs renders in memory with root-relative keys', async () => {
    const out = await buildOutputs(baseSpec);
    expect(Object.keys(out.files)).toEqual([SCHEMA, 'src/generated/operations.ts']);
    expect(out.operationCount).toBe(1);
    expect(out.openapiJson).toBe(await readFile(join(baseline, 'openapi.json'), 'utf8'));
    expect(out.files[SCHEMA]).toBe(await readFile(join(baseline, SCHEMA), 'utf8'));
    await expect(buildOutputs({ ...baseSpec, openapi: '2.0' })).rejects.toThrow(/not supported/);
    // 3.0.x is accepted as well as 3.1.x.
    const v30 = await buildOutputs({ ...baseSpec, openapi: '3.0.3' });
    expect(v30.files[SCHEMA]).toContain('export interface operations {');
  });

  it('rejects duplicate operationIds in one line', async () => {
    const duplicate = cloneBase();
    duplicate.paths['/{version}/executions/payout-again'] = duplicate.paths['/{version}/executions/payout'];
    await expect(buildOutputs(duplicate)).rejects.toThrow(
      /^openapi-typescript rejected the spec: Every operation must have a unique `operationId`/,
    );
  });

  it('writeOutputsAtomic writes nothing when any file cannot be staged', async () => {
    const root = await mkdtemp(join(work, 'atomic-'));
    await writeFile(join(root, 'blocker'), 'a file where a directory is needed\n');
    await expect(
      writeOutputsAtomic(root, { 'src/generated/a.ts': 'a\n', 'blocker/b.ts': 'b\n' }, 'src/generated'),
    ).rejects.toThrow();
    expect(await snapshot(root)).toEqual({ blocker: createHash('sha256').update('a file where a directory is needed\n').digest('hex') });
  });
});

function listen(server: Server): Promise<Server> {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}
