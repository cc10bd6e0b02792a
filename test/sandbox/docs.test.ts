/**
 * docs/sandbox.md's raw-HTTP payout flow, as curl and as standard-library Python, run against a
 * started sandbox so the examples cannot rot. Both tools are required: a missing curl or
 * python3 fails this test rather than skip it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';

const run = promisify(execFile);
const doc = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8');

function block(language: string): string {
  const match = new RegExp('```' + language + ' sandbox-flow\\n([\\s\\S]*?)\\n```').exec(doc);
  if (!match?.[1]) throw new Error(`docs/sandbox.md has no \`\`\`${language} sandbox-flow block`);
  return match[1];
}

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ settleAfterMs: 300 });
});
afterAll(() => sandbox.close());

const flows: Array<[string, string, string[]]> = [
  ['curl', 'bash', ['-c', block('sh')]],
  ['Python', 'python3', ['-c', block('python')]],
];

for (const [name, program, args] of flows) {
  it(`the ${name} flow runs: 503 after landing, found by its status, COMPLETED, sent once, then reset`, async () => {
    sandbox.reset();
    const { stdout } = await run(program, args, { env: { ...process.env, SANDBOX_URL: sandbox.url }, timeout: 60_000 });
    expect(stdout).toContain('execution answered 503');
    expect(stdout).toMatch(/payout [0-9a-f-]{36} is COMPLETED/);
    expect(stdout).toContain('sends 1');
    const lines = stdout.split('\n');
    const send = lines.findIndex((l) => /^POST \S*executions\/payout 503 status 503 processed$/.test(l));
    const lookup = lines.findIndex((l) => /^GET \S*status\/payout\/\S+ 200\s*$/.test(l));
    expect(lines.filter((l) => /^POST \S*jwt\/client\/obtain\/token 200/.test(l))).toHaveLength(1);
    expect(send).toBeGreaterThan(0);
    expect(lookup).toBeGreaterThan(send);
    // The secret and the passcode code never show in the printed log.
    expect(stdout).not.toContain(sandbox.credentials.clientSecret);
    expect(stdout).not.toContain(`"${sandbox.passcode.code}"`);
    // It ended with a reset.
    expect(sandbox.executions()).toEqual([]);
    expect(sandbox.requests()).toEqual([]);
  }, 90_000);
}
