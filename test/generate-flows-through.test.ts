// A regenerated spec flows into the client with no hand edits: an operation added to
// openapi.json becomes a typed `/v1/...` path on createDollrClient() once generated.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..');
const bin = (name: string): string => join(REPO, 'node_modules/.bin', name);

const statusOperation = {
  get: {
    operationId: 'payout_status',
    parameters: [
      { name: 'version', in: 'path', required: true, schema: { const: 'v1', type: 'string' } },
      { name: 'reference_id', in: 'path', required: true, schema: { type: 'string' } },
    ],
    responses: {
      '200': {
        description: 'Successful Response',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ExecutionResponse' } } },
      },
    },
    security: [{ HTTPBearer: [] }],
  },
};

const consumer = `
import { createDollrClient } from './src/index.js';
const client = createDollrClient({ auth: 'token' });
const { data } = await client.GET('/v1/wallets/balance/{reference_id}', {
  params: { path: { reference_id: '550e8400-e29b-41d4-a716-446655440000' } },
});
export const status: string | undefined = data?.status;
// @ts-expect-error the reference_id path parameter is required
await client.GET('/v1/wallets/balance/{reference_id}', {});
`;

const tsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023', 'DOM'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  },
  files: ['consumer.ts'],
};

const roots: string[] = [];
afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

/** A copy of the package sources with the repo's node_modules linked in. */
async function copyOfPackage(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dollr-flow-'));
  roots.push(root);
  await cp(join(REPO, 'src'), join(root, 'src'), { recursive: true });
  await cp(join(REPO, 'openapi.json'), join(root, 'openapi.json'));
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(root, 'tsconfig.json'), JSON.stringify(tsconfig));
  await writeFile(join(root, 'consumer.ts'), consumer);
  return root;
}

async function typecheck(root: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(bin('tsc'), ['-p', root], { timeout: 60_000 });
    return { ok: true, output: '' };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe('a new operation in the spec', { timeout: 120_000 }, () => {
  it('does not type-check before generation; after it, only the policy table asks for its row; with the row, it does', async () => {
    const root = await copyOfPackage();
    const before = await typecheck(root);
    expect(before.ok).toBe(false);
    expect(before.output).toContain('/v1/wallets/balance/{reference_id}');

    const spec = JSON.parse(await readFile(join(root, 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> };
    spec.paths['/{version}/wallets/balance/{reference_id}'] = statusOperation;
    const changed = join(root, 'changed-openapi.json');
    await writeFile(changed, JSON.stringify(spec));
    const { stdout } = await run(bin('tsx'), [join(REPO, 'scripts/generate.ts'), '--root', root, '--from', changed], {
      cwd: REPO,
      timeout: 60_000,
    });
    expect(stdout).toContain('+ GET /{version}/wallets/balance/{reference_id}');

    // The client types need no hand edit; the policy table refuses to compile without a row.
    const after = await typecheck(root);
    expect(after.ok).toBe(false);
    const errors = after.output.trim().split('\n').filter((line) => /error TS/.test(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/src\/core\/policy\.ts.*"GET \/v1\/wallets\/balance\/\{reference_id\}"' is missing/);

    const policyFile = join(root, 'src/core/policy.ts');
    const policy = await readFile(policyFile, 'utf8');
    const last = "  'GET /v1/orders/receipt/number/{order_number}': safe,";
    expect(policy).toContain(last);
    await writeFile(policyFile, policy.replace(last, `${last}\n  'GET /v1/wallets/balance/{reference_id}': safe,`));
    const withRow = await typecheck(root);
    expect(withRow.output).toBe('');
    expect(withRow.ok).toBe(true);
  });
});
