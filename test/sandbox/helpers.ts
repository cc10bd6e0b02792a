/** Raw HTTP helpers for sandbox tests: a JSON caller with the sandbox's token, and a payout fixture. */
import { randomUUID } from 'node:crypto';
import type { Sandbox } from '../../src/testing/index.js';
import { device } from './tour.js';

export type Json = Record<string, unknown>;

export interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

export interface Api {
  token: string;
  send(method: string, path: string, body?: unknown, options?: { token?: string | null; raw?: string }): Promise<Answer>;
}

export async function connect(sandbox: Sandbox): Promise<Api> {
  const api: Api = {
    token: '',
    async send(method, path, body, options = {}) {
      const token = options.token === undefined ? api.token : options.token;
      const response = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: {
          ...(body === undefined && options.raw === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(options.raw !== undefined ? { body: options.raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json, headers: response.headers };
    },
  };
  const issued = await api.send('POST', '/v1/jwt/client/obtain/token', {
    client_id: sandbox.credentials.clientId,
    client_secret: sandbox.credentials.clientSecret,
  });
  api.token = String(issued.body.access_token);
  return api;
}

/** A recipient party, its PAYOUT account, and a live payout session of `amount` USD. */
export async function payoutSetup(api: Api, amount = 25): Promise<{ accountId: number; sessionId: number; walletId: number }> {
  const party = await api.send('POST', '/v1/parties/create', { fullname: 'Jane Doe', phone: '231771234567' });
  const account = await api.send('POST', '/v1/payment-accounts/create?operation_type=PAYOUT', {
    account_name: 'Jane MoMo',
    provider: 'MTN_MOMO_LBR',
    method: 'MOBILE_MONEY',
    party_id: party.body.id,
  });
  const session = await api.send('POST', '/v1/sessions/payout', { payout_account_id: account.body.id, amount, currency: 'USD' });
  if (session.status !== 200) throw new Error(`payout session: ${session.status} ${JSON.stringify(session.body)}`);
  return { accountId: Number(account.body.id), sessionId: Number(session.body.id), walletId: Number(session.body.wallet_id) };
}

export function payoutBody(sandbox: Sandbox, setup: { accountId: number; sessionId: number }, overrides: Json = {}): Json {
  return {
    session_id: String(setup.sessionId),
    payout_account_id: String(setup.accountId),
    reference_id: randomUUID(),
    passcode: { token: { phone: sandbox.passcode.phone, code: sandbox.passcode.code }, device },
    ...overrides,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` (bounded) until `done` holds; returns the last value. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}
