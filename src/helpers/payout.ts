/** `client.payout()`: camelCase input validated and turned into the exact body `execute('payout')` sends. */
import type { ExecutionResponse, Passcode, PayoutRequest } from '../core/types.js';
import { check, isObject } from '../core/validate.js';
import type { Executions, RequestOptions } from './executions.js';

export interface PayoutInput {
  /** Payout session id; numbers are sent as strings, as the API expects. */
  sessionId: string | number;
  /** Recipient payment account id; numbers are sent as strings. */
  payoutAccountId: string | number;
  /** Version-4 UUID from newReferenceId(), stored before the call and reused for retries of this payout. */
  referenceId: string;
  passcode: Passcode;
}

/** Per-call options of `payout()`: the same as every helper's. */
export type PayoutOptions = RequestOptions;

function toId(value: unknown, field: string): string {
  check(
    typeof value === 'string' ? value.trim() !== '' : Number.isSafeInteger(value) && (value as number) >= 0,
    field,
    'be a non-empty string or a non-negative integer',
  );
  return String(value);
}

/**
 * Builds the exact body sent (and, if it never landed, re-sent) for this payout. The ids are
 * checked here; reference_id and passcode by the execution guard in front of every POST.
 */
function buildPayoutBody(input: PayoutInput): PayoutRequest {
  check(isObject(input), 'payout', 'be called with an input object');
  return {
    session_id: toId(input.sessionId, 'session_id'),
    payout_account_id: toId(input.payoutAccountId, 'payout_account_id'),
    reference_id: input.referenceId,
    passcode: input.passcode,
  };
}

export function createPayout({ execute }: Pick<Executions, 'execute'>) {
  /**
   * Executes a payout and resolves to its ExecutionResponse (a thin layer over
   * `execute('payout', ...)`), or throws as `execute` does.
   */
  return function payout(input: PayoutInput, options?: PayoutOptions): Promise<ExecutionResponse> {
    try {
      return execute('payout', buildPayoutBody(input), options);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
