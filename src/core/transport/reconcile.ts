/**
 * Status lookups for an execution whose outcome is unknown (Dollr's recovery rule): each
 * lookup's result classified for decide(). A lookup's 2xx counts only when its body is an
 * ExecutionResponse for this very reference_id; anything else is a failed lookup (looked
 * again within the budget), never "landed".
 */
import { isExecutionFor } from '../guards.js';
import { retryAfterMs } from '../retry.js';
import { describe } from './attempt.js';
import type { Sent } from './attempt.js';
import type { Outcome } from './decide.js';

export interface Looked {
  outcome: Extract<Outcome, { type: 'lookup' }>;
  /** The execution, when found (its body checked). */
  found?: Response;
  /** Words for logs and messages: `answered 503`, `timed out after 500 ms`, or the status found. */
  what: string;
}

const looked = (result: Looked['outcome']['result'], what: string, retryAfter?: number): Looked => ({
  outcome: { type: 'lookup', result, retryAfterMs: retryAfter },
  what,
});

/** Classifies one lookup's result for decide(). */
export function classifyLookup(sent: Sent, referenceId: string, timeoutMs: number): Looked {
  const { response, status } = sent;
  if (response?.ok) {
    const parsed = safeParse(sent.text);
    // Found: `what` is the execution's status, for the log line.
    if (isExecutionFor(parsed, referenceId)) return { ...looked('found', parsed.status), found: response };
  }
  const what = describe(sent, timeoutMs);
  if (status === 404 && response) return looked('not-found', what);
  return status === 429 && response ? looked('rate-limited', what, retryAfterMs(response.headers)) : looked('failed', what);
}

export function safeParse(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
