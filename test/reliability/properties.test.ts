// Property-based tests (fast-check) for the three parsers the payout promises rest on:
// isReferenceId, the passcode phone rule, and Retry-After parsing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DollrInputError, createPasscode, isReferenceId, newReferenceId } from '../../src/index.js';
import { retryAfterMs } from '../../src/core/retry.js';
import { PASSCODE_CODE } from './helpers/secrets.js';

const RUNS = { numRuns: 500 };
const device = {
  name: 'Payout Server',
  type: 'SERVER',
  platform: 'NODE',
  user_agent: 'reliability-suite/1.0',
  client_ip: '203.0.113.10',
};

const hex = fc.constantFrom(...'0123456789abcdef');
const hexString = (length: number) => fc.string({ unit: hex, minLength: length, maxLength: length });

/** A v4-shaped UUID from parts, so single fields can be varied. */
function uuid(p: { a: string; b: string; version: string; c: string; variant: string; d: string; e: string }): string {
  return `${p.a}-${p.b}-${p.version}${p.c}-${p.variant}${p.d}-${p.e}`;
}
const parts = fc.record({
  a: hexString(8),
  b: hexString(4),
  version: fc.constant('4'),
  c: hexString(3),
  variant: fc.constantFrom('8', '9', 'a', 'b'),
  d: hexString(3),
  e: hexString(12),
});

describe('isReferenceId', () => {
  it('is true for every v4 UUID, in lower, upper or mixed case', () => {
    fc.assert(
      fc.property(fc.uuid({ version: 4 }), fc.boolean(), (id, upper) => {
        expect(isReferenceId(id)).toBe(true);
        expect(isReferenceId(upper ? id.toUpperCase() : id)).toBe(true);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(parts, fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }), (p, caps) => {
        const mixed = [...uuid(p)].map((ch, i) => (caps[i] ? ch.toUpperCase() : ch)).join('');
        expect(isReferenceId(mixed)).toBe(true);
      }),
      RUNS,
    );
    expect(isReferenceId(newReferenceId())).toBe(true);
  });

  it('is false for every other version', () => {
    fc.assert(
      fc.property(fc.uuid({ version: [1, 2, 3, 5, 6, 7, 8] }), (id) => {
        expect(isReferenceId(id)).toBe(false);
        expect(isReferenceId(id.toUpperCase())).toBe(false);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(parts, fc.constantFrom(...'0123456789abcdef'.replace('4', '')), (p, version) => {
        expect(isReferenceId(uuid({ ...p, version }))).toBe(false);
      }),
      RUNS,
    );
  });

  it('is false for a non-RFC variant (first nibble of the 4th group outside 8-b)', () => {
    fc.assert(
      fc.property(parts, fc.constantFrom(...'01234567cdef'), (p, variant) => {
        expect(isReferenceId(uuid({ ...p, variant }))).toBe(false);
      }),
      RUNS,
    );
  });

  it('is false for other lengths, shapes and non-strings', () => {
    fc.assert(
      fc.property(parts, fc.integer({ min: 0, max: 35 }), fc.string({ unit: hex, minLength: 1, maxLength: 3 }), (p, at, extra) => {
        const id = uuid(p);
        expect(isReferenceId(id.slice(0, at))).toBe(false); // truncated
        expect(isReferenceId(id.slice(0, at) + id.slice(at + 1))).toBe(false); // one char dropped
        expect(isReferenceId(id + extra)).toBe(false); // too long
        expect(isReferenceId(id.replace(/-/g, ''))).toBe(false); // no hyphens
        expect(isReferenceId(`{${id}}`)).toBe(false); // braces
        expect(isReferenceId(` ${id}`)).toBe(false); // padding
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        fc.pre(typeof value !== 'string');
        expect(isReferenceId(value)).toBe(false);
      }),
      RUNS,
    );
    expect(isReferenceId('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(isReferenceId('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe(false);
  });
});

describe('phone rule (createPasscode)', () => {
  const build = (phone: string) => createPasscode({ code: PASSCODE_CODE, phone, device: { ...device } });

  it('accepts every string of 8 to 15 ASCII digits, and sends it unchanged', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{8,15}$/), (phone) => {
        expect(build(phone).token.phone).toBe(phone);
      }),
      RUNS,
    );
  });

  const notAPhone = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.stringMatching(/^[0-9]{0,7}$/),
    fc.stringMatching(/^[0-9]{16,24}$/),
    fc.stringMatching(/^\+[0-9]{8,15}$/),
    fc.stringMatching(/^[0-9]{3,6}[ \-.][0-9]{5,9}$/),
    fc.stringMatching(/^[0-9]{8,15}$/).map((p) => `${p}\n`),
    fc.stringMatching(/^[0-9]{8,15}$/).map((p) => p.replace(/[0-9]/, '\u0664')), // Arabic-Indic digit
  );

  it('refuses everything else with field passcode.token.phone and an example of the fix', () => {
    fc.assert(
      fc.property(notAPhone, (phone) => {
        fc.pre(!/^[0-9]{8,15}$/.test(phone));
        let error: unknown;
        try {
          build(phone);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(DollrInputError);
        expect((error as DollrInputError).field).toBe('passcode.token.phone');
        expect((error as DollrInputError).message).toContain('e.g. 231771234567');
      }),
      RUNS,
    );
  });
});

describe('Retry-After parsing (retryAfterMs in src/retry.ts)', () => {
  const headers = (value: string) => new Headers({ 'retry-after': value });
  const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

  it('delay-seconds: exactly that many seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), fc.constantFrom('', ' '), (seconds, pad) => {
        expect(retryAfterMs(headers(`${pad}${seconds}${pad}`), NOW)).toBe(seconds * 1000);
      }),
      RUNS,
    );
  });

  it('HTTP-date: the time until that date, never negative, never more than asked', () => {
    fc.assert(
      fc.property(fc.integer({ min: -86_400, max: 86_400 }), (offsetSeconds) => {
        const at = NOW + offsetSeconds * 1000;
        const delay = retryAfterMs(headers(new Date(at).toUTCString()), NOW);
        expect(delay).toBeDefined();
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBe(Math.max(0, at - NOW));
      }),
      RUNS,
    );
  });

  it('all three HTTP-date forms (IMF-fixdate, RFC 850, asctime) are UTC, whatever the local time zone', () => {
    // RFC 9110 section 5.6.7: recipients must accept the obsolete forms too, and every
    // form is in GMT (asctime just does not say so). A zone east of UTC must not turn
    // "in 5 s" into "now" (retrying sooner than asked), nor a zone west into hours.
    const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const FULL_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
    const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n: number) => String(n).padStart(2, '0');
    const forms = (d: Date): string[] => {
      const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
      const mon = MONTHS[d.getUTCMonth()];
      return [
        d.toUTCString(),
        `${FULL_DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${mon}-${two(d.getUTCFullYear() % 100)} ${time} GMT`,
        `${DAYS[d.getUTCDay()]} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}`,
      ];
    };
    const savedTz = process.env.TZ;
    try {
      fc.assert(
        fc.property(
          fc.integer({ min: -86_400, max: 86_400 }),
          fc.constantFrom('UTC', 'Asia/Tokyo', 'America/New_York', 'Pacific/Kiritimati'),
          (offsetSeconds, tz) => {
            process.env.TZ = tz;
            const at = NOW + offsetSeconds * 1000;
            for (const value of forms(new Date(at))) {
              expect({ value, tz, delay: retryAfterMs(headers(value), NOW) }).toEqual({
                value,
                tz,
                delay: Math.max(0, at - NOW),
              });
            }
          },
        ),
        { numRuns: 200 },
      );
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });

  it('garbage without digits: no delay at all (the caller falls back to its own backoff)', () => {
    const garbage = fc.oneof(
      fc.constantFrom('', ' ', 'soon', 'never', 'NaN', 'Infinity', 'five', '--', 'null', 'Retry later'),
      fc.string({ unit: fc.constantFrom(...'abcghijkloqtuvwxyz!#$%&*?@^_~;= '), minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(garbage, (value) => {
        expect(retryAfterMs(headers(value), NOW)).toBeUndefined();
      }),
      RUNS,
    );
    expect(retryAfterMs(new Headers(), NOW)).toBeUndefined();
  });

  it('malformed numbers (signed, comma, spaced, unit, exponent, hex): no delay at all', () => {
    // Neither delay-seconds (1*DIGIT) nor an HTTP-date (RFC 9110 section 10.2.3). A value
    // like "-1" or "1,5" must not become a 0 ms delay: the documented contract is
    // `undefined` for anything unparsable, so the client backs off instead.
    const digits = fc.stringMatching(/^[0-9]{1,4}$/);
    const malformed = fc.oneof(
      fc.tuple(fc.constantFrom('-', '+'), digits).map(([sign, n]) => `${sign}${n}`),
      fc.tuple(digits, fc.constantFrom(',', ' ', ' s', 'e3', 'x'), digits).map(([a, sep, b]) => `${a}${sep}${b}`),
      fc.tuple(fc.constantFrom('x', 'retry', 'in', 'May', 'after'), digits).map(([word, n]) => `${word} ${n}`),
      fc.constantFrom('0x10', '1e3', '5 s', '12 hours'),
    );
    fc.assert(
      fc.property(malformed, (value) => {
        fc.pre(!/^\s*\d+(\.\d+)?\s*$/.test(value));
        expect(retryAfterMs(headers(value), NOW)).toBeUndefined();
      }),
      RUNS,
    );
  });
});
