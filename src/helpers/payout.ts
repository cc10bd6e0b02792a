/** `client.payout()`: the validated, throwing convenience over `POST /v1/executions/payout`. */
import type { AuthProvider } from '../core/auth.js';
import { DollrApiError, DollrConnectionError, DollrError } from '../core/errors.js';
import { assertPasscode } from './passcode.js';
import { check, isObject } from '../core/validate.js';
import { isReferenceId } from './reference-id.js';
import { attemptsOf } from '../core/transport.js';
import type { ExecutionResponse, Passcode, PayoutRequest } from '../core/types.js';

export interface PayoutInput {
  /** Payout session id; numbers are sent as strings, as the API expects. */
  sessionId: string | number;
  /** Recipient payment account id; numbers are sent as strings. */
  payoutAccountId: string | number;
  /** Version-4 UUID from newReferenceId(), stored before the call and reused for retries of this payout. */
  referenceId: string;
  passcode: Passcode;
}

export interface PayoutOptions {
  signal?: AbortSignal;
}

type PostPayout = (body: PayoutRequest, signal: AbortSignal | undefined) => Promise<{
  data?: ExecutionResponse;
  error?: unknown;
  response: Response;
}>;

/**
 * Refuses an execution body (from payout() or a raw POST) whose reference_id is not a v4 UUID,
 * or, for a payout, whose passcode is incomplete: before serialization or any network call.
 */
export function assertExecution(body: unknown, isPayout: boolean): void {
  const { reference_id, passcode } = (isObject(body) ? body : {}) as Partial<PayoutRequest>;
  check(
    isReferenceId(reference_id),
    'reference_id',
    'be a version-4 UUID: create it with newReferenceId() and store it before sending',
  );
  if (isPayout) assertPasscode(passcode);
}

function toId(value: unknown, field: string): string {
  check(
    typeof value === 'string' ? value.trim() !== '' : Number.isSafeInteger(value) && (value as number) >= 0,
    field,
    'be a non-empty string or a non-negative integer',
  );
  return String(value);
}

/** Validates the input and builds the exact body sent (and re-sent) for this payout. */
export function buildPayoutBody(input: PayoutInput): PayoutRequest {
  check(isObject(input), 'payout', 'be called with an input object');
  const body = {
    session_id: toId(input.sessionId, 'session_id'),
    payout_account_id: toId(input.payoutAccountId, 'payout_account_id'),
    reference_id: input.referenceId,
    passcode: input.passcode,
  };
  assertExecution(body, true);
  return body;
}

export function createPayout(post: PostPayout, auth: AuthProvider) {
  return async function payout(input: PayoutInput, options?: PayoutOptions): Promise<ExecutionResponse> {
    const body = buildPayoutBody(input);
    const referenceId = body.reference_id;
    let result: Awaited<ReturnType<PostPayout>>;
    try {
      result = await post(body, options?.signal);
    } catch (error) {
      if (error instanceof DollrConnectionError && error.referenceId === undefined) {
        (error as { referenceId: string | undefined }).referenceId = referenceId;
      }
      throw error;
    }
    const { data, response } = result;
    if (!response.ok) {
      throw new DollrApiError({
        status: response.status,
        statusText: response.statusText,
        body: result.error,
        headers: response.headers,
        attempts: attemptsOf(response),
        referenceId,
        secrets: [body.passcode.token.code, ...auth.secrets()],
      });
    }
    if (data === undefined) throw new DollrError(`Payout ${referenceId}: the API returned ${response.status} with no body`);
    return data;
  };
}
