// The reliability suites' Dollr: the project's sandbox (startSandbox), started with the suites'
// distinctive credentials and passcode, and what a row needs around it: the resources an
// execution of each kind refers to (party, accounts, session), a body of each kind built on
// them, and a recording `fetch` that is the client-side witness of every request (its exact
// bytes and headers, when it left, and what the client got: a status, 'reset' or '-' for its
// own timeout). The sandbox's request log is the server-side witness.
import { createDollrClient, createPasscode, serverDevice } from '../../../src/index.js';
import type { DollrClient, DollrClientOptions, ExecutionBody, ExecutionKind, PayoutInput } from '../../../src/index.js';
import { startSandbox } from '../../../src/testing/index.js';
import type { Sandbox, SandboxOptions } from '../../../src/testing/index.js';
import { CLIENT_ID, CLIENT_SECRET, PASSCODE_CODE } from './secrets.js';

export const KINDS = ['collection', 'payout', 'transfer', 'refund'] as const satisfies readonly ExecutionKind[];
export type Kind = (typeof KINDS)[number];
export const TOKEN_PATH = '/v1/jwt/client/obtain/token';
export const PHONE = '231771234567';
export const executionPath = (kind: Kind): `/v1/executions/${Kind}` => `/v1/executions/${kind}`;
export const statusPath = (kind: Kind, referenceId: string): `/v1/status/${Kind}/${string}` => `/v1/status/${kind}/${referenceId}`;

/** Retries without waiting on real time a row does not need; Retry-After up to 5 s is honoured. */
export const QUICK_BACKOFF = { initialDelayMs: 1, maxDelayMs: 10, maxRetryAfterMs: 5_000 };

/** A sandbox that accepts the suites' CLIENT_ID/CLIENT_SECRET and PASSCODE_CODE; executions settle at once. */
export function startDollr(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({
    settleAfterMs: 0,
    credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    passcode: { code: PASSCODE_CODE, phone: PHONE },
    ...options,
  });
}

export function passcode(): PayoutInput['passcode'] {
  return createPasscode({
    code: PASSCODE_CODE,
    phone: PHONE,
    device: serverDevice({ clientIp: '203.0.113.10', userAgent: 'reliability-suite/1.0' }),
  });
}

/** One request as the client's fetch saw it. */
export interface Sent {
  method: string;
  path: string;
  body: Buffer;
  headers: Headers;
  /** performance.now() when fetch was called. */
  at: number;
  /** Date.now() at the same moment. */
  atWall: number;
  /** What came back: an HTTP status, 'reset' (the connection failed), '-' (the client's own deadline or abort). */
  got: number | 'reset' | '-' | undefined;
}

export interface Recorder {
  readonly sent: Sent[];
  /** Bearer tokens the token endpoint issued through this fetch. */
  readonly tokens: string[];
  readonly fetch: typeof fetch;
}

export function recorder(): Recorder {
  const sent: Sent[] = [];
  const tokens: string[] = [];
  return {
    sent,
    tokens,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const entry: Sent = {
        method: request.method,
        path: new URL(request.url).pathname,
        body: Buffer.from(await request.clone().arrayBuffer()),
        headers: new Headers(request.headers),
        at: performance.now(),
        atWall: Date.now(),
        got: undefined,
      };
      sent.push(entry);
      try {
        const response = await fetch(request);
        entry.got = response.status;
        if (entry.path === TOKEN_PATH && response.ok) {
          const issued = (await response.clone().json()) as { access_token?: unknown };
          if (typeof issued.access_token === 'string') tokens.push(issued.access_token);
        }
        return response;
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        entry.got = name === 'AbortError' || name === 'TimeoutError' ? '-' : 'reset';
        throw error;
      }
    },
  };
}

export function sandboxClient(sandbox: Sandbox, options: Partial<DollrClientOptions> = {}): DollrClient {
  return createDollrClient({
    baseUrl: sandbox.url,
    auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    maxRetries: 2,
    timeoutMs: 5_000,
    backoff: QUICK_BACKOFF,
    logLevel: 'off',
    ...options,
  });
}

/** The ids an execution of one kind refers to. */
export interface Prepared {
  kind: Kind;
  sessionId: number;
  /** Payout: the PAYOUT account; collection: the COLLECTION account; otherwise unused. */
  accountId: number;
}

function must<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`preparing ${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

/** Creates, on the sandbox, what an execution of `kind` needs (a fresh session each time). */
export async function prepare(client: DollrClient, kind: Kind): Promise<Prepared> {
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  if (kind === 'refund') {
    const session = must(
      await client.POST('/v1/sessions/refund', { body: { original_payment_intent_id: 1, amount: 5, reason: 'Damaged item', expires_at: inAnHour } }),
      'refund session',
    ) as { id: number };
    return { kind, sessionId: session.id, accountId: 0 };
  }
  const party = must(await client.POST('/v1/parties/create', { body: { fullname: 'Jane Doe', phone: PHONE } }), 'party');
  if (kind === 'transfer') {
    const counterparty = must(await client.POST('/v1/counterparties/create', { body: { relationship_type: 'SUPPLIER', party_id: party.id } }), 'counterparty') as {
      id: number;
    };
    const session = must(
      await client.POST('/v1/sessions/transfer', {
        body: { from_wallet_id: 1001, to_counterparty_id: counterparty.id, amount: 12.5, currency: 'USD', expires_at: inAnHour },
      }),
      'transfer session',
    ) as { id: number };
    return { kind, sessionId: session.id, accountId: 0 };
  }
  const account = must(
    await client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type: kind === 'payout' ? 'PAYOUT' : 'COLLECTION' } },
      body: { account_name: 'Jane MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.id },
    }),
    'payment account',
  );
  if (kind === 'payout') {
    const session = must(await client.POST('/v1/sessions/payout', { body: { payout_account_id: account.id, amount: 25, currency: 'USD' } }), 'payout session');
    return { kind, sessionId: session.id, accountId: account.id };
  }
  const checkout = must(
    await client.POST('/v1/checkouts/create', {
      body: { mode: 'PAYMENT_LINK', source_kind: 'INVOICE', party_name: 'Ama K', party_phone: '231886543210', currency: 'USD', items: [{ name: 'Ticket', currency: 'USD', amount: 15 }] },
    }),
    'checkout',
  );
  const session = must(await client.POST('/v1/sessions/checkout', { body: { source_id: checkout.source_id, source_type: 'INVOICE' } }), 'checkout session');
  return { kind, sessionId: session.id, accountId: account.id };
}

/** The payout() input for a prepared payout. */
export function payoutInputFor(prepared: Prepared, referenceId: string): PayoutInput {
  return { sessionId: prepared.sessionId, payoutAccountId: prepared.accountId, referenceId, passcode: passcode() };
}

/** A valid execution body of the prepared kind, snake_case as sent (payout: the key order payout() sends). */
export function bodyFor<K extends Kind>(prepared: Prepared & { kind: K }, referenceId: string): ExecutionBody<K>;
export function bodyFor(prepared: Prepared, referenceId: string): ExecutionBody<Kind> {
  const session_id = String(prepared.sessionId);
  switch (prepared.kind) {
    case 'payout':
      return { session_id, payout_account_id: String(prepared.accountId), reference_id: referenceId, passcode: passcode() };
    case 'collection':
      return { session_id, payment_account_id: String(prepared.accountId), currency: 'USD', reference_id: referenceId };
    default:
      return { session_id, reference_id: referenceId };
  }
}

/** A bearer token from the sandbox's token endpoint, for a client given it as a static token (no token request of its own). */
export async function obtainToken(sandbox: Sandbox): Promise<string> {
  const response = await fetch(`${sandbox.url}${TOKEN_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: sandbox.credentials.clientId, client_secret: sandbox.credentials.clientSecret }),
  });
  if (!response.ok) throw new Error(`the sandbox refused a token: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
