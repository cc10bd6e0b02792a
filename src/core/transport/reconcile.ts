/**
 * Status lookups for an execution whose outcome is unknown (Dollr's recovery rule): each
 * lookup's result classified for decide(). A lookup's 2xx counts only when its body is an
 * ExecutionResponse for this very reference_id; anything else is a failed lookup (looked
 * again within the budget), never "landed".
 */
import { isExecutionFor } from '../guards.js';
import { retryAfterMs } from '../retry.js';
import type { Sent } from './attempt.js';
import type { Outcome } from './decide.js';

export interface Looked {
  outcome: Extract<Outcome, { type: 'lookup' }>;
  /** The execution, when found (its body checked). */
  found?: Response;
  /** Words for logs and messages: `answered 503`, `timed out`, or the status found. */
  what: string;
}

const looked = (result: Looked['outcome']['result'], what: string, retryAfter?: number): Looked => ({
  outcome: { type: 'lookup', result, retryAfterMs: retryAfter },
  what,
});

/** Classifies one lookup's result for decide(). */
export function classifyLookup(sent: Sent, referenceId: string): Looked {
  const { response, status } = sent;
  if (!response) {
    const what = sent.failure === 'timeout' ? 'timed out' : sent.failure ? `failed (${sent.failure})` : `answered ${status} (a redirect, not followed)`;
    return looked('failed', what);
  }
  if (response.ok) {
    const parsed = safeParse(sent.text);
    // Found: `what` is the execution's status, for the log line.
    if (isExecutionFor(parsed, referenceId)) return { ...looked('found', parsed.status), found: response };
    return looked('failed', `answered ${status} without an ExecutionResponse for this reference_id`);
  }
  const what = `answered ${status}`;
  if (status === 404) return looked('not-found', what);
  return status === 429 ? looked('rate-limited', what, retryAfterMs(response.headers)) : looked('failed', what);
}

export function safeParse(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
