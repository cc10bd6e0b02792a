/**
 * What to do after each outcome: a pure function of (policy, outcome, state), no clock, no
 * randomness, no I/O. docs/recovery.md is this function as a table, and
 * test/client/decide.test.ts runs that table row by row. The loop in index.ts only performs
 * the action returned.
 *
 * `processed` is the truth the caller gets: `false` only while nothing of the call can have
 * reached the server or the server refused it outright; once any attempt had an unknown
 * outcome it stays `'unknown'`, whatever later lookups say (a late landing stays possible).
 */
import type { Repeat } from '../policy.js';

export interface DecidePolicy {
  repeat: Repeat;
  /** Longest Retry-After honoured, on sends and on lookups alike. */
  maxRetryAfterMs: number;
  /** Status lookups made for one unknown outcome before giving up on knowing it. */
  lookupsPerUnknown: number;
}

export type Outcome =
  /**
   * An HTTP answer with its body read. `usable`: for an execution's 2xx, the body is an
   * ExecutionResponse for this reference_id. `duplicate`: a 422 on `body.reference_id`.
   */
  | { type: 'answer'; status: number; retryAfterMs?: number | undefined; usable?: boolean; duplicate?: boolean }
  /** A 3xx, never followed. */
  | { type: 'redirect' }
  /** No usable answer: never sent, timed out, lost (reset, cut mid-body) or too large. */
  | { type: 'failed'; failure: 'not-sent' | 'timeout' | 'lost' | 'too-large' }
  /** A status lookup for an execution whose outcome is not known. */
  | { type: 'lookup'; result: 'found' | 'not-found' | 'failed' | 'rate-limited'; retryAfterMs?: number | undefined };

export interface State {
  /** Re-sends made so far, and the budget (`maxRetries`). */
  retries: number;
  maxRetries: number;
  /** Lookups made in the current reconciliation. */
  lookups: number;
  /** An earlier attempt of this call had an unknown outcome. */
  mayHaveLanded: boolean;
  /** Why the current reconciliation started: an unknown outcome, or a re-send refused as a duplicate. */
  reconciling?: 'unknown' | 'duplicate' | undefined;
}

/** `{ backoff: n }`: the n-th exponential backoff delay; `{ ms }`: exactly this long (Retry-After). */
export type Wait = { backoff: number } | { ms: number };

export type Action =
  /** Hand the last answer back (2xx, or a final non-2xx with what it proves). */
  | { act: 'return'; processed?: false | 'unknown' }
  /** A lookup found the execution: hand its ExecutionResponse back, never re-send. */
  | { act: 'found' }
  /** Send the same bytes again after `wait`; counts against maxRetries. */
  | { act: 'resend'; wait: Wait }
  /** Look the execution up by reference_id after `wait`. */
  | { act: 'lookup'; wait: Wait }
  /** End the call with an error carrying `processed`. */
  | { act: 'fail'; processed: false | 'unknown' };

/** 408 and 5xx: the server may or may not have acted on the request. */
export const isUnknownStatus = (status: number): boolean => status === 408 || (status >= 500 && status <= 599);

/** True when this outcome leaves open whether the request was processed. */
export function isUncertain(outcome: Outcome): boolean {
  switch (outcome.type) {
    case 'answer':
      return isUnknownStatus(outcome.status) || (outcome.status < 300 && outcome.usable === false);
    case 'failed':
      return outcome.failure !== 'not-sent';
    default:
      return false;
  }
}

const waitFor = (asked: number | undefined, n: number): Wait => (asked === undefined ? { backoff: n } : { ms: asked });
const resend = (state: State, asked?: number): Action => ({ act: 'resend', wait: waitFor(asked, state.retries + 1) });
const lookup = (state: State, asked?: number): Action => ({ act: 'lookup', wait: waitFor(asked, state.lookups + 1) });
const give = (processed?: false | 'unknown'): Action => ({ act: 'return', processed });
const fail = (processed: false | 'unknown'): Action => ({ act: 'fail', processed });

export function decide(policy: DecidePolicy, outcome: Outcome, state: State): Action {
  const processed = state.mayHaveLanded || isUncertain(outcome) ? 'unknown' : false;
  const budget = state.retries < state.maxRetries;
  const { repeat } = policy;
  const execution = repeat === 'execution';
  const asked = (outcome as { retryAfterMs?: number }).retryAfterMs;
  // A Retry-After past the cap is never honoured early: the call stops instead.
  const patient = asked === undefined || asked <= policy.maxRetryAfterMs;

  switch (outcome.type) {
    case 'redirect':
      return give(processed);
    case 'failed':
      if (outcome.failure === 'not-sent') return budget ? resend(state) : fail(processed);
      return execution ? lookup(state) : repeat === 'safe' && budget ? resend(state) : fail('unknown');
    case 'answer': {
      const { status } = outcome;
      if (status < 300) return execution && outcome.usable === false ? lookup(state) : give();
      // Refused, not processed: wait as asked (never past the cap) and send again.
      if (status === 429) return budget && patient ? resend(state, asked) : give(processed);
      if (isUnknownStatus(status)) return execution ? lookup(state) : repeat === 'safe' && budget && patient ? resend(state, asked) : give('unknown');
      // A re-send refused as a duplicate: an earlier attempt of ours landed after all.
      return execution && outcome.duplicate && state.mayHaveLanded ? lookup(state) : give(processed);
    }
    case 'lookup': {
      const { result } = outcome;
      if (result === 'found') return { act: 'found' };
      // A duplicate the status endpoint cannot find or confirm: hand the 422 back as it is.
      const duplicate = state.reconciling === 'duplicate';
      // Dollr's rule: not found means never landed, so the same bytes may go again.
      if (result === 'not-found') return duplicate ? give('unknown') : budget ? { act: 'resend', wait: { backoff: 0 } } : fail('unknown');
      // Failed or rate-limited: look again within the lookup budget and the Retry-After cap.
      if (patient && state.lookups < policy.lookupsPerUnknown) return lookup(state, asked);
      return duplicate ? give('unknown') : fail('unknown');
    }
  }
}
