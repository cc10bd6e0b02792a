/**
 * The per-row state machine, pure: from what the store recorded about a row (and what this
 * worker learned since it claimed it) decide the one next step. The rules it keeps:
 * - the reference id is minted and committed before anything is sent, and never re-minted;
 * - a row that had a reference id when it was claimed is looked up (getExecution) before
 *   anything else; so is one whose last send has an unknown outcome;
 * - only a lookup that found nothing (it never landed) lets a row get a new session and be
 *   sent again, with the SAME reference id;
 * - an unknown outcome that stays unknown past the budget ends as NEEDS_REVIEW, never re-sent.
 */

/** Where a row is. The last four are final for this run; NEEDS_REVIEW is looked up again on a rerun. */
export type RowState =
  | 'NEW'
  | 'REFERENCED' // reference id committed
  | 'SESSION' // payout session recorded
  | 'SENT' // execution sent, outcome not known yet
  | 'PROCESSING' // landed, PENDING or PROCESSING at Dollr
  | 'COMPLETED'
  | 'FAILED'
  | 'REJECTED'
  | 'NEEDS_REVIEW';

export const FINAL_STATES: readonly RowState[] = ['COMPLETED', 'FAILED', 'REJECTED'];
export const END_STATES: readonly RowState[] = [...FINAL_STATES, 'NEEDS_REVIEW'];
export const ALL_STATES: readonly RowState[] = ['NEW', 'REFERENCED', 'SESSION', 'SENT', 'PROCESSING', ...END_STATES];

export const isFinal = (state: RowState): boolean => FINAL_STATES.includes(state);

/** What the machine reads. */
export interface RowFacts {
  state: RowState;
  referenceId: string | null;
  /** The recipient's payout account, once known (given in the row, or created for its phone). */
  accountId: string | null;
  sessionId: string | null;
  /** Epoch ms until which the session may be used for a send (a little before its expires_at). */
  sessionExpiresAt: number | null;
  // The budget below is per claim (kept in memory): a rerun or a takeover starts afresh, with a lookup.
  /** True once this worker has looked the reference id up (or minted it) since claiming the row. */
  lookedUp: boolean;
  /** Unknown outcomes in a row (lost answers, failed lookups) since the last known one. */
  unknowns: number;
  /** When this worker started waiting for an outcome (epoch ms), for the wait budget. */
  waitingSince: number | null;
}

export interface Budget {
  /** Unknown outcomes in a row before NEEDS_REVIEW. */
  maxUnknowns: number;
  /** How long a row may stay PENDING/PROCESSING/unknown before NEEDS_REVIEW (ms). */
  maxWaitMs: number;
  /** A session this close to its expiry is not used for a send (ms). */
  sessionMarginMs: number;
}

export type Step =
  | { do: 'done' }
  | { do: 'mint' }
  | { do: 'lookup' }
  | { do: 'recipient' }
  | { do: 'session' }
  | { do: 'execute' }
  | { do: 'poll' }
  | { do: 'review'; reason: string };

export function decide(row: RowFacts, budget: Budget, now: number): Step {
  if (isFinal(row.state)) return { do: 'done' };
  if (row.referenceId === null) return { do: 'mint' };
  const waitedOut = row.waitingSince !== null && now - row.waitingSince > budget.maxWaitMs;
  if (!row.lookedUp) {
    if (row.unknowns >= budget.maxUnknowns) return { do: 'review', reason: `outcome unknown after ${row.unknowns} tries to learn it` };
    if (row.unknowns > 0 && waitedOut) return { do: 'review', reason: `outcome unknown after ${budget.maxWaitMs} ms` };
    return { do: 'lookup' };
  }
  if (row.state === 'NEEDS_REVIEW') return { do: 'done' };
  if (row.state === 'PROCESSING') {
    return waitedOut ? { do: 'review', reason: `no final status after ${budget.maxWaitMs} ms` } : { do: 'poll' };
  }
  // Looked up and not found (or minted by this worker, never sent): it may be sent, with this same reference id.
  if (row.accountId === null) return { do: 'recipient' };
  if (row.sessionId === null || row.sessionExpiresAt === null || row.sessionExpiresAt - budget.sessionMarginMs <= now) return { do: 'session' };
  return { do: 'execute' };
}

/** What an execution attempt or a lookup told us, as the runner classifies it. */
export type Outcome =
  | { kind: 'status'; status: 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED'; providerTransactionId?: string | null; message?: string | null }
  | { kind: 'not-found' }
  | { kind: 'unknown'; why: string }
  | { kind: 'refused'; message: string }
  | { kind: 'session-refused'; message: string }
  | { kind: 'duplicate' };

export interface RowChange {
  state?: RowState;
  lookedUp?: boolean;
  unknowns?: number;
  waitingSince?: number | null;
  sessionId?: null;
  sessionExpiresAt?: null;
  providerTransactionId?: string | null;
  message?: string | null;
}

/** How an outcome changes the row (the runner then writes the change in one transaction). */
export function apply(row: RowFacts, outcome: Outcome, now: number): RowChange {
  switch (outcome.kind) {
    case 'status': {
      const { status } = outcome;
      if (status === 'COMPLETED' || status === 'FAILED') {
        return {
          state: status,
          lookedUp: true,
          unknowns: 0,
          waitingSince: null,
          providerTransactionId: outcome.providerTransactionId ?? null,
          message: status === 'FAILED' ? (outcome.message ?? null) : null,
        };
      }
      return { state: 'PROCESSING', lookedUp: true, unknowns: 0, waitingSince: row.waitingSince ?? now };
    }
    case 'not-found':
      // It never landed: back to where a send may happen again (same reference id).
      return { state: row.sessionId === null ? 'REFERENCED' : 'SESSION', lookedUp: true, unknowns: 0, waitingSince: null };
    case 'unknown':
      return { state: row.state === 'NEEDS_REVIEW' ? 'NEEDS_REVIEW' : 'SENT', lookedUp: false, unknowns: row.unknowns + 1, waitingSince: row.waitingSince ?? now };
    case 'duplicate':
      // Dollr already has this reference id: it landed. Learn its status; never send again blindly.
      return { state: 'SENT', lookedUp: false, waitingSince: row.waitingSince ?? now };
    case 'session-refused':
      // Expired or used session: refused before processing. Look up first (a used session may
      // mean our own earlier send landed), then a new session with the same reference id.
      return { state: 'SENT', lookedUp: false, sessionId: null, sessionExpiresAt: null };
    case 'refused':
      return { state: 'REJECTED', lookedUp: true, unknowns: 0, waitingSince: null, message: outcome.message };
  }
}
