/**
 * Status lookups for an execution whose outcome is unknown (Dollr's recovery rule): one
 * lookup per call of `lookupOnce`, classified for decide(). A lookup's 2xx counts only when
 * its body is an ExecutionResponse for this very reference_id; anything else is a failed
 * lookup (looked again within the budget), never "landed".
 */
import { isExecutionFor } from '../guards.js';
import type { OperationPolicy } from '../policy.js';
import { retryAfterMs } from '../retry.js';
import type { AttemptResult } from './attempt.js';
import type { Outcome } from './decide.js';

/** The status lookup URL of an execution: its policy's `status` path, under the same prefix. */
export function lookupUrl(prefix: string, policy: OperationPolicy, referenceId: string): { url: string; path: string } {
  const path = (policy.status as string).replace('{reference_id}', encodeURIComponent(referenceId));
  return { url: prefix + path, path };
}

/** The request headers of the execution, minus those of its body. */
export function lookupHeaders(headers: Headers): Headers {
  const copy = new Headers(headers);
  copy.delete('content-type');
  copy.delete('content-length');
  return copy;
}

export interface Looked {
  outcome: Extract<Outcome, { type: 'lookup' }>;
  /** The execution, when found (its body checked). */
  found?: Response;
  /** Words for logs and messages: `answered 503`, `timed out`, ... */
  what: string;
}

const failed = (what: string): Looked => ({ outcome: { type: 'lookup', result: 'failed' }, what });

/** Classifies one lookup's result for decide(). */
export async function classifyLookup(result: AttemptResult, referenceId: string): Promise<Looked> {
  if ('failure' in result) return failed(result.failure.kind === 'timeout' ? 'timed out' : `failed (${result.failure.kind})`);
  if ('redirect' in result) return failed(`answered ${result.redirect.status} (a redirect, not followed)`);
  const { response, text } = result;
  const what = `answered ${response.status}`;
  if (response.ok) {
    const parsed = safeParse(text);
    // Found: `what` is the execution's status, for the log line.
    if (isExecutionFor(parsed, referenceId)) return { outcome: { type: 'lookup', result: 'found' }, found: new Response(text, response), what: parsed.status };
    return failed(`${what} without an ExecutionResponse for this reference_id`);
  }
  if (response.status === 404) return { outcome: { type: 'lookup', result: 'not-found' }, what };
  if (response.status === 429) return { outcome: { type: 'lookup', result: 'rate-limited', retryAfterMs: retryAfterMs(response.headers) }, what };
  return failed(what);
}

export function safeParse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
