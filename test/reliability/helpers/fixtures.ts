// Inputs and client factories shared by the reliability suites.
import { createDollrClient, createPasscode, newReferenceId, serverDevice } from '../../../src/index.js';
import type { DollrClient, DollrClientOptions, ExecutionBody, ExecutionKind, PayoutInput, PayoutRequest } from '../../../src/index.js';
import { CLIENT_ID, CLIENT_SECRET, PASSCODE_CODE, STATIC_TOKEN } from './secrets.js';

/** Small delays so retries are quick; Retry-After up to 5 s is honoured. */
export const FAST_BACKOFF = { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 };

export function passcode(): PayoutInput['passcode'] {
  return createPasscode({
    code: PASSCODE_CODE,
    phone: '231771234567',
    device: serverDevice({ clientIp: '203.0.113.10', userAgent: 'reliability-suite/1.0' }),
  });
}

export function payoutInput(overrides: Partial<PayoutInput> = {}): PayoutInput {
  return { sessionId: 42, payoutAccountId: 18, referenceId: newReferenceId(), passcode: passcode(), ...overrides };
}

/** The exact body `payout()` sends for `input` (ids as strings, documented key order). */
export function expectedBody(input: PayoutInput): PayoutRequest {
  return {
    session_id: String(input.sessionId),
    payout_account_id: String(input.payoutAccountId),
    reference_id: input.referenceId,
    passcode: input.passcode,
  };
}

export function rawBody(referenceId = newReferenceId()): PayoutRequest {
  return { session_id: '42', payout_account_id: '18', reference_id: referenceId, passcode: passcode() };
}

export type AuthKind = 'static' | 'credentials';

export function makeClient(
  baseUrl: string,
  auth: AuthKind = 'static',
  options: Partial<DollrClientOptions> = {},
): DollrClient {
  return createDollrClient({
    baseUrl,
    auth: auth === 'static' ? STATIC_TOKEN : { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    maxRetries: 2,
    timeoutMs: 5_000,
    backoff: FAST_BACKOFF,
    ...options,
  });
}

/** A valid execution body of each kind (the spec's request body schemas), snake_case as sent. */
export function executionBody<K extends ExecutionKind>(kind: K, referenceId = newReferenceId()): ExecutionBody<K> {
  const bodies: { [Kind in ExecutionKind]: ExecutionBody<Kind> } = {
    collection: { session_id: '7', payment_account_id: '31', currency: 'USD', reference_id: referenceId },
    payout: rawBody(referenceId),
    transfer: { session_id: '9', reference_id: referenceId },
    refund: { session_id: '11', reference_id: referenceId },
  };
  return bodies[kind];
}

/** A valid ExecutionResponse of `kind` for `referenceId`, for scripted answers (no server). */
export function executionResponse(kind: ExecutionKind, referenceId: string, executionStatus = 'PENDING'): Record<string, unknown> {
  return {
    reference_id: referenceId,
    provider_transaction_id: null,
    status: executionStatus,
    payer_amount: 10,
    payer_currency: 'USD',
    payee_amount: 1900,
    payee_currency: 'LRD',
    operation_type: kind.toUpperCase(),
    gateway_message: null,
    wallet_message: null,
  };
}
