/**
 * Answers and errors from Dollr to the machine's outcomes. Pure. An execution error is only
 * "refused" when Dollr proves it did not process it and says why (a 4xx with a reason); a lost
 * answer, a 5xx, a 429 or a 401 is "unknown" and leads to a lookup, never to a blind re-send.
 */
import { DollrApiError, DollrConnectionError, DollrInputError } from '../core/errors.js';
import { isReferenceIdConflict } from '../core/errors.js';
import type { ExecutionResponse } from '../core/types.js';
import { isKnownStatus } from '../helpers/executions.js';
import type { Outcome } from './machine.js';

export function fromExecution(execution: ExecutionResponse | null): Outcome {
  if (execution === null) return { kind: 'not-found' };
  const status: string = execution.status;
  if (!isKnownStatus(status)) return { kind: 'unknown', why: `unexpected status ${status}` };
  const message = status === 'FAILED' ? (execution.wallet_message ?? execution.gateway_message ?? null) : null;
  return { kind: 'status', status, providerTransactionId: execution.provider_transaction_id ?? null, message };
}

/** Dollr's own words from a refusal: the 422 issues or the `detail` string. */
export function refusalMessage(error: DollrApiError): string {
  if (error.issues.length > 0) return error.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  const detail = (error.body as { detail?: unknown } | null | undefined)?.detail;
  return typeof detail === 'string' ? `${error.status}: ${detail}` : `${error.status}`;
}

const NOT_PROCESSED_BUT_RETRYABLE = new Set([401, 408, 409, 425, 429]);

/** A 4xx that is Dollr's final word (not a rate limit, an expired token or a timeout). */
export const isRefusalStatus = (status: number): boolean => status >= 400 && status < 500 && !NOT_PROCESSED_BUT_RETRYABLE.has(status);

export function fromExecuteError(error: unknown): Outcome {
  if (error instanceof DollrInputError) throw error; // our bug or bad settings: stop, do not mark rows
  if (error instanceof DollrApiError) {
    if (error.status === 422 && isReferenceIdConflict(error.issues)) return { kind: 'duplicate' };
    if (error.status === 422 && error.issues.some((i) => i.path === 'body.session_id')) return { kind: 'session-refused', message: refusalMessage(error) };
    if (isRefusalStatus(error.status)) return { kind: 'refused', message: refusalMessage(error) };
    return { kind: 'unknown', why: `answered ${error.status}` };
  }
  if (error instanceof DollrConnectionError) return { kind: 'unknown', why: error.code ?? error.name };
  return { kind: 'unknown', why: error instanceof Error ? error.name : 'error' };
}
