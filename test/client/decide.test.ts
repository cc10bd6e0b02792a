// decide() row by row: this test parses the recovery table in docs/recovery.md and checks
// each row against the pure function, so the documented table and the code cannot differ.
// Milliseconds, no sockets, no timers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/transport/decide.js';
import type { Action, DecidePolicy, Outcome, State } from '../../src/core/transport/decide.js';
import type { Repeat } from '../../src/core/policy.js';

const doc = readFileSync(new URL('../../docs/recovery.md', import.meta.url), 'utf8');
const REPEATS: Repeat[] = ['safe', 'once', 'execution'];

interface Row {
  n: string;
  operations: Repeat[];
  outcome: Outcome;
  state: State;
  action: Action;
  line: string;
}

function parseOutcome(text: string): Outcome {
  const asked = /retry-after (\d+)/.exec(text);
  const retryAfterMs = asked ? Number(asked[1]) : undefined;
  let m: RegExpExecArray | null;
  if ((m = /^lookup (found|404|failed|429)/.exec(text))) {
    const result = ({ found: 'found', '404': 'not-found', failed: 'failed', '429': 'rate-limited' } as const)[m[1] as 'found'];
    return { type: 'lookup', result, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  if (text === '3xx') return { type: 'redirect' };
  if (text === 'not sent') return { type: 'failed', failure: 'not-sent' };
  if (text === 'timeout' || text === 'lost') return { type: 'failed', failure: text };
  if (text === 'too large') return { type: 'failed', failure: 'too-large' };
  if ((m = /^(2xx|\d{3})( malformed| duplicate)?/.exec(text))) {
    const status = m[1] === '2xx' ? 200 : Number(m[1]);
    return {
      type: 'answer',
      status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      ...(m[2] === ' malformed' && { usable: false }),
      ...(m[2] === ' duplicate' && { duplicate: true }),
      ...(status < 300 && m[2] === undefined && { usable: true }),
    };
  }
  throw new Error(`unknown outcome: ${text}`);
}

function parseState(text: string): State {
  const state: State = { retries: 0, maxRetries: 2, lookups: 0, mayHaveLanded: false };
  if (text === '-') return state;
  for (const part of text.split(',').map((p) => p.trim())) {
    let m: RegExpExecArray | null;
    if ((m = /^retries (\d+)\/(\d+)$/.exec(part))) [state.retries, state.maxRetries] = [Number(m[1]), Number(m[2])];
    else if ((m = /^lookups (\d+)\/3$/.exec(part))) state.lookups = Number(m[1]);
    else if (part === 'landed') state.mayHaveLanded = true;
    else if (part === 'duplicate') state.reconciling = 'duplicate';
    else throw new Error(`unknown state: ${part}`);
  }
  if (state.lookups > 0 && state.reconciling === undefined) state.reconciling = 'unknown';
  return state;
}

function parseAction(text: string): Action {
  let m: RegExpExecArray | null;
  if (text === 'found') return { act: 'found' };
  if (text === 'return') return { act: 'return' };
  if ((m = /^(return|fail), processed (false|unknown)$/.exec(text))) {
    return { act: m[1] as 'fail', processed: m[2] === 'false' ? false : 'unknown' };
  }
  if ((m = /^(resend|lookup) (?:after backoff (\d+)|after (\d+) ms|now)$/.exec(text))) {
    const wait = m[2] !== undefined ? { backoff: Number(m[2]) } : m[3] !== undefined ? { ms: Number(m[3]) } : { backoff: 0 };
    return { act: m[1] as 'resend', wait };
  }
  throw new Error(`unknown action: ${text}`);
}

function parseTable(markdown: string): Row[] {
  const start = markdown.indexOf('| # | operation | outcome | state | action |');
  expect(start).toBeGreaterThan(0);
  const lines = markdown.slice(start).split('\n');
  const rows: Row[] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    const [n, operation, outcome, state, action] = line.split('|').slice(1, -1).map((c) => c.trim()) as [string, string, string, string, string];
    rows.push({
      n,
      operations: operation === 'any' ? REPEATS : (operation.split(',').map((o) => o.trim()) as Repeat[]),
      outcome: parseOutcome(outcome),
      state: parseState(state),
      action: parseAction(action),
      line,
    });
  }
  return rows;
}

const rows = parseTable(doc);
const policyOf = (repeat: Repeat): DecidePolicy => ({ repeat, maxRetryAfterMs: 1000, lookupsPerUnknown: 3 });

describe('decide(): the recovery table of docs/recovery.md, row by row', () => {
  it('the table is there, numbered 1..n without gaps', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(rows.map((r) => r.n)).toEqual(rows.map((_, i) => String(i + 1)));
  });

  for (const row of rows) {
    for (const repeat of row.operations) {
      it(`row ${row.n} (${repeat}): ${row.line.split('|').slice(3, 6).join('|')}`, () => {
        const action = decide(policyOf(repeat), row.outcome, { ...row.state });
        const expected = row.action;
        // `return` without processed in the doc means a 2xx: no processed to report.
        expect(action).toEqual(expected);
      });
    }
  }

  it('is pure: same inputs, same action, inputs untouched', () => {
    const state: State = { retries: 1, maxRetries: 2, lookups: 1, mayHaveLanded: true, reconciling: 'unknown' };
    const outcome: Outcome = { type: 'lookup', result: 'rate-limited', retryAfterMs: 500 };
    const before = JSON.stringify([state, outcome]);
    expect(decide(policyOf('execution'), outcome, state)).toEqual(decide(policyOf('execution'), outcome, state));
    expect(JSON.stringify([state, outcome])).toBe(before);
  });

  it('never answers an execution 5xx, timeout or lost with a re-send (the lookup comes first)', () => {
    for (const outcome of [parseOutcome('503'), parseOutcome('timeout'), parseOutcome('lost'), parseOutcome('2xx malformed')]) {
      for (const retries of [0, 1, 2]) {
        expect(decide(policyOf('execution'), outcome, { retries, maxRetries: 2, lookups: 0, mayHaveLanded: retries > 0 }).act).toBe('lookup');
      }
    }
  });
});
