/**
 * The parts behind the contract: samples for every response schema are valid and plausible,
 * patterned fields get real values (openapi-sampler renders `\d` literally), an operation a
 * newer spec adds is answered without code changes, and the main entry never reaches the
 * sandbox (nor the sandbox's optional peers at import time).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeps } from '../../src/testing/sandbox/deps.js';
import { Sampler } from '../../src/testing/sandbox/samples.js';
import { loadSpec } from '../../src/testing/sandbox/spec.js';
import { SpecValidator } from '../../src/testing/sandbox/validation.js';
import { startSandbox } from '../../src/testing/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('samples', () => {
  it('every 200 schema of openapi.json gets a valid sample without placeholder strings', async () => {
    const [deps, spec] = await Promise.all([loadDeps(), loadSpec()]);
    const validator = new SpecValidator(spec, deps);
    const sampler = new Sampler(spec.document, deps.sample, validator);
    expect(spec.operations).toHaveLength(49);
    for (const operation of spec.operations) {
      const value = sampler.sample(operation.response);
      expect(validator.response(operation, value), operation.key).toEqual([]);
      expect(JSON.stringify(value), operation.key).not.toMatch(/:"(string|str|stringst)"/);
    }
    const merchant = spec.operations.find((o) => o.key === 'GET /{version}/merchants/merchant-info')!;
    expect(sampler.sample(merchant.response)).toMatchObject({ phone: '231771234567', email: 'merchant@example.com' });
  });

  it('gives patterned fields values their pattern accepts', async () => {
    const [deps, spec] = await Promise.all([loadDeps(), loadSpec()]);
    const validator = new SpecValidator(spec, deps);
    const sampler = new Sampler(spec.document, deps.sample, validator);
    const schema = {
      type: 'object',
      required: ['msisdn', 'iso', 'maybe'],
      properties: {
        msisdn: { type: 'string', pattern: '^[1-9]\\d{7,14}$' },
        iso: { type: 'string', pattern: '^[A-Z]{3}$' },
        maybe: { anyOf: [{ type: 'string', pattern: '^[1-9]\\d{7,14}$' }, { type: 'null' }] },
      },
    };
    const value = sampler.sample(schema) as Record<string, unknown>;
    expect(validator.check(schema, value)).toBe(true);
    expect(value.msisdn).toMatch(/^[1-9]\d{7,14}$/);
  });
});

describe('a newer spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers an operation it has no handler for with a valid sample, and validates its query', async () => {
    const spec = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> };
    spec.paths['/{version}/wallets/balance'] = {
      get: {
        operationId: 'wallet_balance',
        parameters: [
          { name: 'version', in: 'path', required: true, schema: { const: 'v1', type: 'string' } },
          { name: 'wallet_id', in: 'query', required: true, schema: { type: 'integer' } },
        ],
        responses: {
          '200': {
            description: 'ok',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['wallet_id', 'balance', 'currency', 'owner_phone'],
                  properties: {
                    wallet_id: { type: 'integer' },
                    balance: { type: 'number', minimum: 0 },
                    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
                    owner_phone: { type: 'string', pattern: '^[1-9]\\d{7,14}$' },
                  },
                },
              },
            },
          },
        },
      },
    };
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(spec));
    const sandbox = await startSandbox({ spec: file });
    try {
      const ok = await fetch(`${sandbox.url}/v1/wallets/balance?wallet_id=1001`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ currency: 'USD', owner_phone: '231771234567' });
      const bad = await fetch(`${sandbox.url}/v1/wallets/balance?wallet_id=x`);
      expect(bad.status).toBe(422);
    } finally {
      await sandbox.close();
    }
  });

  it('says which file it could not read', async () => {
    await expect(startSandbox({ spec: join(dir, 'missing.json') })).rejects.toThrow(/missing\.json/);
  });
});

describe('isolation', () => {
  /** Every file reachable through relative imports from `entry`. */
  function reachable(entry: string, seen = new Set<string>()): Set<string> {
    if (seen.has(entry)) return seen;
    seen.add(entry);
    const text = readFileSync(entry, 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = resolve(dirname(entry), spec!.replace(/\.js$/, '.ts'));
      reachable(target, seen);
    }
    return seen;
  }

  it('the main entry reaches nothing under src/testing', () => {
    const files = [...reachable(join(root, 'src/index.ts'))].map((f) => f.slice(root.length));
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => f.startsWith('src/testing'))).toEqual([]);
  });

  it('the sandbox imports its optional peers only lazily (deps.ts, at start)', () => {
    const dir = join(root, 'src/testing/sandbox');
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/^import(?!\s+type)[^;]*from\s+'(ajv|ajv-formats|openapi-sampler)[^']*'/m);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      bin: Record<string, string>;
    };
    for (const name of ['ajv', 'ajv-formats', 'openapi-sampler']) {
      expect(pkg.peerDependencies[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
    }
    expect(pkg.bin['dollr-sandbox']).toBe('./dist/testing/cli.js');
  });
});

describe('without the optional peers', () => {
  it('dollr-client/testing still loads, and startSandbox says what to install', () => {
    // A copy of src where ajv, ajv-formats and openapi-sampler cannot be resolved.
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-nopeers-'));
    try {
      // The whole of src/ (the kit builds on core and the generated table), without node_modules.
      cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
      cpSync(join(root, 'openapi.json'), join(dir, 'openapi.json'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const script =
        "const m = await import('./src/testing/index.ts');" +
        "console.log(typeof m.startMockServer);" +
        "await m.startSandbox().then(() => console.log('started'), (e) => console.log(e.message));";
      const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
      const out = execFileSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(out).toContain('function');
      expect(out).toContain('startSandbox needs ajv, ajv-formats and openapi-sampler');
      expect(out).toContain('npm install --save-dev ajv@8.20.0 ajv-formats@3.0.1 openapi-sampler@1.7.10');
      expect(out).not.toContain('started');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
