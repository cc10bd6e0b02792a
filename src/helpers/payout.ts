/**
 * `client.payout()`: camelCase input validated and turned into the exact body
 * `execute('payout')` sends. This is the one place the public surface does not use the API's
 * field names: it builds the body (ids as strings) and takes the passcode from createPasscode,
 * so the input is the caller's vocabulary, not the wire's.
 */
import type { Execution, Passcode, PayoutRequest } from '../core/types.js';
import { check, isObject } from '../core/validate.js';
import type { Executions, RequestOptions } from './executions.js';

/**
 * Input of `client.payout()`. camelCase, unlike every other body of this client (which uses
 * the API's snake_case names): `payout` builds the body itself, turning numeric ids into the
 * strings the execution expects, so the input is named like the rest of your code.
 * `execute('payout', body)` takes the snake_case body as the API does.
 */
export interface PayoutInput {
  /** Payout session id (`session.id`); a number is sent as a string (`session_id`), as the API expects. */
  sessionId: string | number;
  /** Recipient payment account id; a number is sent as a string (`payout_account_id`). */
  payoutAccountId: string | number;
  /** Version-4 UUID from newReferenceId(), stored before the call and reused for every retry of this payout (`reference_id`). */
  referenceId: string;
  /** The merchant passcode and device, from createPasscode() (`passcode`). */
  passcode: Passcode;
}

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
   * Executes a payout and resolves to its Execution (a thin layer over
   * `execute('payout', ...)`), or throws as `execute` does.
   */
  // async: a bad input rejects, as every failure of execute does, instead of throwing.
  return async function payout(input: PayoutInput, options?: RequestOptions): Promise<Execution> {
    return execute('payout', buildPayoutBody(input), options);
  };
}
