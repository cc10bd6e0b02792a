// Shared request data. The passcode code is a sentinel that tests look for in error output.
import { createDollrClient, createPasscode, newReferenceId, serverDevice } from '../../../src/index.js';
import type { DollrClient, DollrClientOptions, PayoutRequest } from '../../../src/index.js';

export const SECRET_CODE = 'pc-SENTINEL-7731';
export const CLIENT_SECRET = 'cs-SENTINEL-9902';

export const passcode = createPasscode({
  code: SECRET_CODE,
  phone: '231771234567',
  device: serverDevice({ clientIp: '203.0.113.10' }),
});

export function payoutBody(referenceId = newReferenceId()): PayoutRequest {
  return { session_id: '42', payout_account_id: '18', reference_id: referenceId, passcode };
}

/** Fast retries so fault tests stay quick; tests that check delays set their own backoff. */
export const FAST_BACKOFF = { initialDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5_000 };

export function testClient(url: string, options: Partial<DollrClientOptions> = {}): DollrClient {
  return createDollrClient({ baseUrl: url, auth: 'static-token', backoff: FAST_BACKOFF, ...options });
}

type UntypedPost = (url: string, init: { body: unknown; signal?: AbortSignal }) => Promise<{
  data?: unknown;
  error?: unknown;
  response: Response;
}>;

/** POST to a path the seed spec does not declare (e.g. /v1/sessions/payout). */
export function postUntyped(client: DollrClient, url: string, body: unknown, signal?: AbortSignal) {
  return (client.POST as unknown as UntypedPost)(url, signal ? { body, signal } : { body });
}
