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

const within = (asked: number | undefined, policy: DecidePolicy): boolean => asked === undefined || asked <= policy.maxRetryAfterMs;
const waitFor = (asked: number | undefined, n: number): Wait => (asked === undefined ? { backoff: n } : { ms: asked });
const resend = (state: State, asked?: number): Action => ({ act: 'resend', wait: waitFor(asked, state.retries + 1) });
const lookup = (state: State, asked?: number): Action => ({ act: 'lookup', wait: waitFor(asked, state.lookups + 1) });

export function decide(policy: DecidePolicy, outcome: Outcome, state: State): Action {
  const landed = state.mayHaveLanded || isUncertain(outcome);
  const processed = landed ? 'unknown' : false;
  const budget = state.retries < state.maxRetries;
  const execution = policy.repeat === 'execution';

  switch (outcome.type) {
    case 'redirect':
      return { act: 'return', processed };
    case 'failed':
      if (outcome.failure === 'not-sent') return budget ? resend(state) : { act: 'fail', processed };
      if (execution) return lookup(state);
      if (policy.repeat === 'safe' && budget) return resend(state);
      return { act: 'fail', processed: 'unknown' };
    case 'answer': {
      const { status } = outcome;
      if (status < 300) {
        if (!execution || outcome.usable !== false) return { act: 'return' };
        return lookup(state);
      }
      // Refused, not processed: wait as asked (never past the cap) and send again.
      if (status === 429) return budget && within(outcome.retryAfterMs, policy) ? resend(state, outcome.retryAfterMs) : { act: 'return', processed };
      if (isUnknownStatus(status)) {
        if (execution) return lookup(state);
        if (policy.repeat === 'safe' && budget && within(outcome.retryAfterMs, policy)) return resend(state, outcome.retryAfterMs);
        return { act: 'return', processed: 'unknown' };
      }
      // A re-send refused as a duplicate: an earlier attempt of ours landed after all.
      if (execution && outcome.duplicate && state.mayHaveLanded) return lookup(state);
      return { act: 'return', processed };
    }
    case 'lookup':
      switch (outcome.result) {
        case 'found':
          return { act: 'found' };
        case 'not-found':
          // A duplicate the status endpoint cannot find: hand the 422 back as it is.
          if (state.reconciling === 'duplicate') return { act: 'return', processed: 'unknown' };
          // Dollr's rule: not found means never landed, so the same bytes may go again.
          return budget ? { act: 'resend', wait: { backoff: 0 } } : { act: 'fail', processed: 'unknown' };
        case 'rate-limited':
          if (!within(outcome.retryAfterMs, policy)) return stopLooking(state);
          return state.lookups < policy.lookupsPerUnknown ? lookup(state, outcome.retryAfterMs) : stopLooking(state);
        case 'failed':
          return state.lookups < policy.lookupsPerUnknown ? lookup(state) : stopLooking(state);
      }
  }
}

/** Lookups could not tell: a duplicate's 422 goes back as it is, anything else fails unknown. */
const stopLooking = (state: State): Action =>
  state.reconciling === 'duplicate' ? { act: 'return', processed: 'unknown' } : { act: 'fail', processed: 'unknown' };
