// npm run example: Dollr's documented payout flow, typed end to end, against the embedded
// sandbox (no network needed): token, recipient party and payment account, payout session,
// execution, then following its status to the end.
//
// With DOLLR_BASE_URL set it talks to that server instead and starts no sandbox. It then needs
// DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET (or DOLLR_TOKEN), DOLLR_PASSCODE and
// DOLLR_PAYOUT_ACCOUNT_ID (an existing recipient account: nothing is created on a real server),
// and takes DOLLR_PHONE, DOLLR_CLIENT_IP, DOLLR_AMOUNT and DOLLR_CURRENCY.
import { createDollrClient, createPasscode, newReferenceId, serverDevice } from '../src/index.js';
import type { DollrAuth, DollrClient } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/testing/index.js';

const env = process.env;

function realServerSettings(): { auth: DollrAuth; code: string; phone: string; accountId: number } {
  const auth = env.DOLLR_TOKEN ?? (env.DOLLR_CLIENT_ID && env.DOLLR_CLIENT_SECRET ? { clientId: env.DOLLR_CLIENT_ID, clientSecret: env.DOLLR_CLIENT_SECRET } : undefined);
  const missing = [
    ...(auth ? [] : ['DOLLR_CLIENT_ID and DOLLR_CLIENT_SECRET (or DOLLR_TOKEN)']),
    ...(env.DOLLR_PASSCODE ? [] : ['DOLLR_PASSCODE']),
    ...(env.DOLLR_PAYOUT_ACCOUNT_ID ? [] : ['DOLLR_PAYOUT_ACCOUNT_ID']),
  ];
  if (missing.length > 0 || !auth) {
    console.error(`With DOLLR_BASE_URL set, also set ${missing.join(', ')}; or unset it to use the sandbox.`);
    process.exit(2);
  }
  return { auth, code: env.DOLLR_PASSCODE ?? '', phone: env.DOLLR_PHONE ?? '231771234567', accountId: Number(env.DOLLR_PAYOUT_ACCOUNT_ID) };
}

/** Steps 2 and 3 of the flow: a recipient party and its PAYOUT payment account. */
async function createRecipientAccount(client: DollrClient): Promise<number> {
  const party = await client.POST('/v1/parties/create', { body: { fullname: 'Jane Doe', phone: '231771234567' } });
  if (!party.data) throw new Error(`party: ${JSON.stringify(party.error)}`);
  const account = await client.POST('/v1/payment-accounts/create', {
    params: { query: { operation_type: 'PAYOUT' } },
    body: { account_name: 'Jane Doe MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.data.id },
  });
  if (!account.data) throw new Error(`payment account: ${JSON.stringify(account.error)}`);
  console.log(`recipient: party ${party.data.id}, payment account ${account.data.id} (${account.data.provider})`);
  return account.data.id;
}

let sandbox: Sandbox | undefined;
try {
  let settings: { auth: DollrAuth; code: string; phone: string; accountId?: number };
  if (env.DOLLR_BASE_URL) settings = realServerSettings();
  else {
    sandbox = await startSandbox({ settleAfterMs: 1_500 });
    console.log(`Dollr sandbox listening on ${sandbox.url}`);
    settings = { auth: sandbox.credentials, ...sandbox.passcode };
  }
  // 1. The client obtains (and refreshes) the token itself from the client credentials.
  const client = createDollrClient({ baseUrl: env.DOLLR_BASE_URL ?? sandbox?.url, auth: settings.auth });

  const payoutAccountId = settings.accountId ?? (await createRecipientAccount(client));

  // 4. The payout session: amount and currency live here, not in the execution.
  const session = await client.POST('/v1/sessions/payout', {
    body: { payout_account_id: payoutAccountId, amount: Number(env.DOLLR_AMOUNT ?? 25), currency: env.DOLLR_CURRENCY ?? 'USD' },
  });
  if (!session.data) throw new Error(`payout session: ${JSON.stringify(session.error)}`);
  console.log(`payout session ${session.data.id}: ${session.data.amount} ${session.data.currency}, expires ${session.data.expires_at}`);

  // 5. The idempotency key: mint it once and store it with your payout record BEFORE the call.
  const referenceId = newReferenceId();
  console.log(`reference_id ${referenceId} (stored before sending)`);
  const execution = await client.payout({
    sessionId: session.data.id,
    payoutAccountId,
    referenceId,
    passcode: createPasscode({
      code: settings.code,
      phone: settings.phone,
      device: serverDevice({ clientIp: env.DOLLR_CLIENT_IP ?? '203.0.113.10' }),
    }),
  });
  console.log(`executed: ${execution.status}`);

  // 6. Follow it to COMPLETED or FAILED (both are outcomes; PROCESSING can last minutes).
  const done = await client.waitForExecution('payout', referenceId, {
    pollIntervalMs: sandbox ? 500 : 3_000,
    onStatus: (e) => console.log(`status: ${e.status}`),
  });
  console.log('ExecutionResponse:');
  console.log(JSON.stringify(done, null, 2));
} catch (error) {
  // Typed errors never carry the token, the client secret or the passcode, so they are safe to print.
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await sandbox?.close();
}
