import { isIP as nodeIsIP } from 'node:net';
import fc from 'fast-check';
import { v1, v4, v7, NIL, MAX } from 'uuid';
import { describe, expect, it, vi } from 'vitest';
import { DollrInputError, createPasscode, isReferenceId, newReferenceId, serverDevice } from '../../src/index.js';
import { isIP, isIPv4, isIPv6 } from '../../src/core/ip.js';
import { VERSION } from '../../src/core/version.js';

const device = serverDevice({ clientIp: '203.0.113.10' });

function inputError(fn: () => unknown): DollrInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DollrInputError);
    return error as DollrInputError;
  }
  throw new Error('expected a DollrInputError');
}

describe('reference ids', () => {
  it('newReferenceId builds v4 UUIDs from getRandomValues where randomUUID is missing (insecure browser contexts)', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (bytes: Uint8Array) => real.getRandomValues(bytes) });
    try {
      const ids = Array.from({ length: 200 }, () => newReferenceId());
      expect(new Set(ids).size).toBe(200);
      for (const id of ids) expect(isReferenceId(id)).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(globalThis.crypto).toBe(real);
  });

  it('newReferenceId returns distinct v4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newReferenceId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('isReferenceId accepts v4 only', () => {
    expect(isReferenceId(v4())).toBe(true);
    expect(isReferenceId('550e8400-e29b-41d4-a716-446655440000')).toBe(true);
    expect(isReferenceId('550E8400-E29B-41D4-A716-446655440000')).toBe(true);
    for (const bad of [v1(), v7(), NIL, MAX, '', 'abc', `${v4()} `, `{${v4()}}`, 42, null, undefined, {}]) {
      expect(isReferenceId(bad)).toBe(false);
    }
  });
});

describe('serverDevice', () => {
  it('fills defaults', () => {
    expect(device).toEqual({
      name: 'Payout Server',
      type: 'SERVER',
      platform: 'NODE',
      user_agent: `dollr-client/${VERSION}`,
      client_ip: '203.0.113.10',
    });
    expect(serverDevice({ clientIp: '::1', name: 'Box', userAgent: 'app/2' })).toMatchObject({
      name: 'Box',
      user_agent: 'app/2',
      client_ip: '::1',
    });
  });

  it.each(['', '256.1.1.1', '1.2.3', 'example.com', '1:2:3:4:5:6:7:8:9', '01.2.3.4', ' 1.2.3.4'])(
    'refuses client ip %j',
    (clientIp) => {
      const error = inputError(() => serverDevice({ clientIp }));
      expect(error.field).toBe('passcode.device.client_ip');
    },
  );

  it('refuses empty name / userAgent', () => {
    expect(inputError(() => serverDevice({ clientIp: '1.2.3.4', name: '' })).field).toBe('passcode.device.name');
    expect(inputError(() => serverDevice({ clientIp: '1.2.3.4', userAgent: ' ' })).field).toBe(
      'passcode.device.user_agent',
    );
  });
});

describe('IP validation matches node:net', () => {
  it('agrees on generated IPv4 and IPv6 addresses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (ip) => {
        expect(isIP(ip)).toBe(nodeIsIP(ip) !== 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on arbitrary strings built from address characters', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.%'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 45 }), (text) => {
        expect(isIPv4(text)).toBe(nodeIsIP(text) === 4);
        if (!text.includes('%')) expect(isIPv6(text)).toBe(nodeIsIP(text) === 6);
      }),
      { numRuns: 5000 },
    );
  });

  it.each(['::', '::1', '::ffff:203.0.113.10', 'fe80::1%eth0', '2001:db8::8a2e:370:7334', '1:2:3:4:5:6:7::'])(
    'accepts %s',
    (ip) => expect(isIPv6(ip)).toBe(true),
  );
  it.each([':::', '1::2::3', '1:2:3:4:5:6:7:8::', '12345::', '::ffff:1.2.3', 'fe80::1%'])('refuses %s', (ip) =>
    expect(isIPv6(ip)).toBe(false),
  );
});

describe('createPasscode', () => {
  it('builds the documented shape', () => {
    expect(createPasscode({ code: 'your-passcode', phone: '231771234567', device })).toEqual({
      token: { phone: '231771234567', code: 'your-passcode' },
      device,
    });
    expect(createPasscode({ code: 'c', userId: 'u-1', device }).token).toEqual({ user_id: 'u-1', code: 'c' });
  });

  it('explains how to fix a phone with + or spaces', () => {
    for (const phone of ['+231771234567', '231 771 234 567']) {
      const error = inputError(() => createPasscode({ code: 'c', phone, device }));
      expect(error.field).toBe('passcode.token.phone');
      expect(error.message).toBe(
        "passcode.token.phone must be digits only without '+' or spaces, e.g. 231771234567",
      );
    }
  });

  it.each(['1234567', '1234567890123456', '23177abc4567', ''])('refuses phone %j', (phone) => {
    expect(inputError(() => createPasscode({ code: 'c', phone, device })).field).toBe('passcode.token.phone');
  });

  it('accepts 8 and 15 digit phones', () => {
    expect(() => createPasscode({ code: 'c', phone: '12345678', device })).not.toThrow();
    expect(() => createPasscode({ code: 'c', phone: '123456789012345', device })).not.toThrow();
  });

  it('requires a code and a phone or user id, without echoing the code', () => {
    expect(inputError(() => createPasscode({ code: '', phone: '231771234567', device })).field).toBe(
      'passcode.token.code',
    );
    const error = inputError(() => createPasscode({ code: 'secret-1234', device }));
    expect(error.field).toBe('passcode.token.phone');
    expect(JSON.stringify(error) + error.message + String(error.stack)).not.toContain('secret-1234');
  });

  it('checks every device field', () => {
    for (const key of ['name', 'type', 'platform', 'user_agent', 'client_ip'] as const) {
      const broken = { ...device, [key]: '' };
      expect(inputError(() => createPasscode({ code: 'c', phone: '231771234567', device: broken })).field).toBe(
        `passcode.device.${key}`,
      );
    }
    const badIp = { ...device, client_ip: 'localhost' };
    expect(inputError(() => createPasscode({ code: 'c', phone: '231771234567', device: badIp })).field).toBe(
      'passcode.device.client_ip',
    );
  });
});
