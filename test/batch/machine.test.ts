/** The per-row state machine as a table: recorded facts in, the one next step out. Pure. */
import { describe, expect, it } from 'vitest';
import { apply, decide } from '../../src/batch/machine.js';
import type { Budget, RowFacts, Step } from '../../src/batch/machine.js';

const NOW = 1_000_000;
const budget: Budget = { maxUnknowns: 3, maxWaitMs: 60_000, sessionMarginMs: 2_000 };
const REF = '550e8400-e29b-41d4-a716-446655440000';
const base: RowFacts = { state: 'NEW', referenceId: null, accountId: null, sessionId: null, sessionExpiresAt: null, lookedUp: true, unknowns: 0, waitingSince: null };
const referenced: RowFacts = { ...base, state: 'REFERENCED', referenceId: REF, accountId: '7' };
const withSession: RowFacts = { ...referenced, state: 'SESSION', sessionId: '9', sessionExpiresAt: NOW + 60_000 };

const table: [string, RowFacts, Step['do']][] = [
  ['a new row mints its reference id first, before any call', { ...base, accountId: '7' }, 'mint'],
  ['a new phone row also mints first (before its party and account)', base, 'mint'],
  ['a minted phone row creates or reuses the recipient', { ...referenced, accountId: null }, 'recipient'],
  ['then a session', referenced, 'session'],
  ['then the execution', withSession, 'execute'],
  ['a session that expired before the send: a new one (same reference id)', { ...withSession, sessionExpiresAt: NOW - 1 }, 'session'],
  ['a session inside the safety margin is not used', { ...withSession, sessionExpiresAt: NOW + 1_000 }, 'session'],
  ['a row claimed with a reference id is looked up before anything else', { ...withSession, lookedUp: false }, 'lookup'],
  ['even without an account or a session yet', { ...referenced, accountId: null, lookedUp: false }, 'lookup'],
  ['a lost answer leads to a lookup, never to a send', { ...withSession, state: 'SENT', lookedUp: false, unknowns: 1, waitingSince: NOW - 1_000 }, 'lookup'],
  ['unknown past the count budget: NEEDS_REVIEW', { ...withSession, state: 'SENT', lookedUp: false, unknowns: 3, waitingSince: NOW }, 'review'],
  ['unknown past the time budget: NEEDS_REVIEW', { ...withSession, state: 'SENT', lookedUp: false, unknowns: 1, waitingSince: NOW - 61_000 }, 'review'],
  ['a NEEDS_REVIEW row on a rerun is looked up again', { ...withSession, state: 'NEEDS_REVIEW', lookedUp: false }, 'lookup'],
  ['landed and processing: poll', { ...withSession, state: 'PROCESSING', waitingSince: NOW - 1_000 }, 'poll'],
  ['processing past the budget: NEEDS_REVIEW', { ...withSession, state: 'PROCESSING', waitingSince: NOW - 61_000 }, 'review'],
  ['COMPLETED is final', { ...withSession, state: 'COMPLETED' }, 'done'],
  ['FAILED is final', { ...withSession, state: 'FAILED', lookedUp: false }, 'done'],
  ['REJECTED is final', { ...withSession, state: 'REJECTED', lookedUp: false }, 'done'],
];

describe('decide', () => {
  it.each(table)('%s', (_name, facts, expected) => {
    expect(decide(facts, budget, NOW).do).toBe(expected);
  });

  it('never mints a second reference id: every state with one decides anything but mint', () => {
    for (const [, facts] of table) {
      if (facts.referenceId !== null) expect(decide(facts, budget, NOW).do).not.toBe('mint');
    }
  });
});

describe('apply', () => {
  const sent: RowFacts = { ...withSession, state: 'SENT', lookedUp: false, unknowns: 1, waitingSince: NOW - 5 };
  it('a lookup that finds nothing lets the row be sent again with the same session', () => {
    const next = { ...sent, ...apply(sent, { kind: 'not-found' }, NOW) };
    expect(next).toMatchObject({ state: 'SESSION', lookedUp: true, referenceId: REF });
    expect(decide(next, budget, NOW).do).toBe('execute');
  });
  it('an expired session refused by Dollr: look up, then a new session, same reference id', () => {
    const next = { ...withSession, ...apply(withSession, { kind: 'session-refused', message: 'expired' }, NOW) };
    expect(decide(next, budget, NOW).do).toBe('lookup');
    const after = { ...next, ...apply(next, { kind: 'not-found' }, NOW) };
    expect(after.state).toBe('REFERENCED');
    expect(decide(after, budget, NOW).do).toBe('session');
    expect(after.referenceId).toBe(REF);
  });
  it('a duplicate reference id means it landed: look it up, do not send', () => {
    const next = { ...withSession, ...apply(withSession, { kind: 'duplicate' }, NOW) };
    expect(decide(next, budget, NOW).do).toBe('lookup');
  });
  it('a lost answer counts toward the budget and asks for a lookup', () => {
    const next = { ...withSession, ...apply(withSession, { kind: 'unknown', why: 'ECONNRESET' }, NOW) };
    expect(next).toMatchObject({ state: 'SENT', unknowns: 1, lookedUp: false, waitingSince: NOW });
  });
  it('PENDING and PROCESSING are landed, not final; COMPLETED and FAILED end the row', () => {
    expect(apply(sent, { kind: 'status', status: 'PENDING' }, NOW)).toMatchObject({ state: 'PROCESSING', lookedUp: true, unknowns: 0 });
    expect(apply(sent, { kind: 'status', status: 'FAILED', message: 'Insufficient balance' }, NOW)).toMatchObject({ state: 'FAILED', message: 'Insufficient balance' });
    expect(apply(sent, { kind: 'status', status: 'COMPLETED', providerTransactionId: 'P1' }, NOW)).toMatchObject({ state: 'COMPLETED', providerTransactionId: 'P1', message: null });
  });
  it('a refusal before processing is REJECTED with Dollr’s message', () => {
    expect(apply(withSession, { kind: 'refused', message: '403: Invalid passcode' }, NOW)).toMatchObject({ state: 'REJECTED', message: '403: Invalid passcode' });
  });
  it('an unknown lookup of a NEEDS_REVIEW row keeps it NEEDS_REVIEW', () => {
    const review: RowFacts = { ...withSession, state: 'NEEDS_REVIEW', lookedUp: false };
    expect(apply(review, { kind: 'unknown', why: 'timeout' }, NOW).state).toBe('NEEDS_REVIEW');
  });
});
