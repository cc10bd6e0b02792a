// npm run example: one payout, sent the safe way, against the embedded Prism mock of
// openapi.json (no network needed). With DOLLR_BASE_URL and DOLLR_TOKEN set, it talks
// to that server instead and starts no mock.
import { createDollrClient, createPasscode, newReferenceId, serverDevice } from '../src/index.js';
import { startMockServer, type MockServer } from '../src/testing/index.js';

const { DOLLR_BASE_URL, DOLLR_TOKEN } = process.env;
if (Boolean(DOLLR_BASE_URL) !== Boolean(DOLLR_TOKEN)) {
  console.error('Set both DOLLR_BASE_URL and DOLLR_TOKEN to use a real server, or neither to use the mock.');
  process.exit(2);
}

let mock: MockServer | undefined;
try {
  if (!DOLLR_BASE_URL) {
    mock = await startMockServer();
    console.log(`Prism mock of openapi.json listening on ${mock.url}`);
  }
  const client = createDollrClient({
    baseUrl: DOLLR_BASE_URL ?? mock?.url,
    auth: DOLLR_TOKEN ?? 'mock-token',
  });

  // The idempotency key: mint it once, store it with your payout record BEFORE the
  // call, and reuse it for every retry of this payout until the outcome is known.
  const referenceId = newReferenceId();
  console.log(`reference_id ${referenceId} (stored before sending)`);

  const passcode = createPasscode({
    code: process.env.DOLLR_PASSCODE ?? 'your-passcode',
    phone: process.env.DOLLR_PHONE ?? '231771234567',
    device: serverDevice({ clientIp: process.env.DOLLR_CLIENT_IP ?? '203.0.113.10' }),
  });

  const execution = await client.payout({
    sessionId: process.env.DOLLR_SESSION_ID ?? 42,
    payoutAccountId: process.env.DOLLR_PAYOUT_ACCOUNT_ID ?? 18,
    referenceId,
    passcode,
  });
  console.log('ExecutionResponse:');
  console.log(JSON.stringify(execution, null, 2));
} catch (error) {
  // Typed errors never carry the token or the passcode, so they are safe to print.
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await mock?.close();
}
