/**
 * The throwaway consumer project the package check installs the tarball into. Kept as
 * strings, not files under test/, because the repo's tsconfig type-checks all of test/
 * and `import 'dollr-client'` only resolves once the tarball is installed.
 */

/** Strict settings a careful consumer might use; `types: []` proves our .d.ts need no @types/node. */
const STRICT = {
  target: 'ES2022',
  lib: ['ES2022', 'DOM'],
  types: [],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: false,
  verbatimModuleSyntax: true,
};

/** The resolution modes we promise: Node's own, and bundlers' (Vite, esbuild, webpack). */
export const CONSUMER_TSCONFIGS = {
  'tsconfig.nodenext.json': {
    compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out', rootDir: 'src' },
    files: ['src/main.ts'],
  },
  'tsconfig.bundler.json': {
    compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler', noEmit: true },
    files: ['src/main.ts'],
  },
} as const;

export type ConsumerTsconfig = keyof typeof CONSUMER_TSCONFIGS;

/** Printed by the consumer on success; the check looks for it. */
export const CONSUMER_OK = 'consumer: payout OK';

// The consumer program. It type-checks the public surface (including one body that
// must NOT compile) and, when run, checks a request against a Prism mock of the bundled spec
// and sends the documented payout flow to the sandbox.
const MAIN_TS = `
import {
  createDollrClient,
  createPasscode,
  newReferenceId,
  serverDevice,
  DollrInputError,
  type DollrClient,
  type ExecutionResponse,
  type PayoutRequest,
} from 'dollr-client';
import { startMockServer, startSandbox, type MockServer } from 'dollr-client/testing';

// If resolution silently fell back to \`any\`, every check below would pass vacuously.
type IsAny<T> = 0 extends 1 & T ? true : false;
export const typed: [IsAny<ExecutionResponse>, IsAny<PayoutRequest>, IsAny<DollrClient>, IsAny<MockServer>] = [
  false,
  false,
  false,
  false,
];

const passcode = createPasscode({
  code: 'your-passcode',
  phone: '231771234567',
  device: serverDevice({ clientIp: '203.0.113.10' }),
});

// Never called: compile-time only. session_id is a string in the execution body.
export function wrongBody(client: DollrClient, referenceId: string): void {
  void client.POST('/v1/executions/payout', {
    body: {
      // @ts-expect-error session_id must be a string, not a number
      session_id: 42,
      payout_account_id: '18',
      reference_id: referenceId,
      passcode,
    },
  });
}

// The Prism mock checks request shapes: a payout session through the typed client.
const mock = await startMockServer();
try {
  const client = createDollrClient({ baseUrl: mock.url, auth: 'mock-token' });
  const session = await client.POST('/v1/sessions/payout', { body: { payout_account_id: 18, amount: 25, currency: 'USD' } });
  if (!session.data) throw new Error('the Prism mock refused a payout session: ' + JSON.stringify(session.error));
  const violations = mock.violations();
  if (violations.length > 0) throw new Error('Prism saw contract violations: ' + violations.join('; '));
} finally {
  await mock.close();
}

// The sandbox behaves like Dollr: the documented payout flow, end to end.
const sandbox = await startSandbox();
try {
  const client = createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials });
  const party = await client.POST('/v1/parties/create', { body: { fullname: 'Jane Doe', phone: '231771234567' } });
  if (!party.data) throw new Error('party: ' + JSON.stringify(party.error));
  const account = await client.POST('/v1/payment-accounts/create', {
    params: { query: { operation_type: 'PAYOUT' } },
    body: { account_name: 'Jane Doe MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.data.id },
  });
  if (!account.data) throw new Error('payment account: ' + JSON.stringify(account.error));
  const session = await client.POST('/v1/sessions/payout', { body: { payout_account_id: account.data.id, amount: 25, currency: 'USD' } });
  if (!session.data) throw new Error('payout session: ' + JSON.stringify(session.error));
  const sandboxPasscode = createPasscode({ ...sandbox.passcode, device: serverDevice({ clientIp: '203.0.113.10' }) });
  const execution: ExecutionResponse = await client.payout({
    sessionId: session.data.id,
    payoutAccountId: account.data.id,
    referenceId: newReferenceId(),
    passcode: sandboxPasscode,
  });
  console.log('ExecutionResponse ' + JSON.stringify(execution));
  if (typeof execution.reference_id !== 'string' || typeof execution.status !== 'string') {
    throw new Error('the payout did not resolve to an ExecutionResponse');
  }
  if (typeof execution.payer_amount !== 'number' || typeof execution.operation_type !== 'string') {
    throw new Error('the payout did not resolve to an ExecutionResponse');
  }

  // The error classes are real runtime exports, usable with instanceof.
  const refused = await client
    .payout({ sessionId: 42, payoutAccountId: 18, referenceId: 'not-a-uuid', passcode })
    .then(() => undefined, (error: unknown) => error);
  if (!(refused instanceof DollrInputError)) throw new Error('a bad reference_id was not refused with DollrInputError');
} finally {
  await sandbox.close();
}
console.log('${CONSUMER_OK}');
`;

/** Files to write into the consumer directory, by relative path. */
export function consumerFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'dollr-client-consumer', private: true, type: 'module' }, null, 2),
    'src/main.ts': MAIN_TS.trimStart(),
  };
  for (const [name, config] of Object.entries(CONSUMER_TSCONFIGS)) files[name] = JSON.stringify(config, null, 2);
  return files;
}
