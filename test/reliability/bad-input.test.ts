// Bad input is refused before any byte leaves: through the helpers (createPasscode,
// serverDevice, createDollrClient, payout()) and through raw `client.POST` of the
// execution. Each refusal names the field and says how to fix it; the sandbox's request log
// shows that no request ever reached it (not even a token request).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DollrInputError, createDollrClient, createPasscode, newReferenceId, serverDevice } from '../../src/index.js';
import type { Device, Passcode, PayoutRequest } from '../../src/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { prepare, recorder, sandboxClient, startDollr } from './helpers/dollr-sandbox.js';
import { executionBody, passcode, payoutInput } from './helpers/fixtures.js';
import { PASSCODE_CODE, STATIC_TOKEN, createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

const V1_UUID = 'c232ab00-9414-11ec-b3c8-9f6bdeced846';
const GOOD_DEVICE: Device = {
  name: 'Payout Server',
  type: 'SERVER',
  platform: 'NODE',
  user_agent: 'reliability-suite/1.0',
  client_ip: '203.0.113.10',
};

const errors = createErrorCollector();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startDollr();
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());
/** A client of the sandbox with client credentials: a token request would show in the log too. */
const makeClient = () => sandboxClient(sandbox);

function expectInputError(error: unknown, field: string, fix: RegExp): void {
  errors.add(error);
  expect(error).toBeInstanceOf(DollrInputError);
  const e = error as DollrInputError;
  expect(e.field).toBe(field);
  expect(e.message).toMatch(fix);
  expect(e.message).not.toContain(PASSCODE_CODE);
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, got none');
}

/** Passcode-level bad inputs: how to build them with the helper, and the same value by hand. */
interface PasscodeCase {
  name: string;
  field: string;
  fix: RegExp;
  viaHelper: () => unknown;
  byHand: () => Passcode;
}

const handPasscode = (token: Record<string, unknown>, device: Record<string, unknown> = { ...GOOD_DEVICE }): Passcode =>
  ({ token: { phone: '231771234567', code: PASSCODE_CODE, ...token }, device }) as unknown as Passcode;

const helperPasscode = (phone: string, code = PASSCODE_CODE) => () =>
  createPasscode({ code, phone, device: { ...GOOD_DEVICE } });

const phoneFix = /8 to 15 digits.*e\.g\. 231771234567/;
const plusFix = /digits only without '\+' or spaces, e\.g\. 231771234567/;

const passcodeCases: PasscodeCase[] = [
  {
    name: 'an empty code',
    field: 'passcode.token.code',
    fix: /passcode\.token\.code must be a non-empty string/,
    viaHelper: helperPasscode('231771234567', ''),
    byHand: () => handPasscode({ code: '' }),
  },
  {
    name: "a phone with '+'",
    field: 'passcode.token.phone',
    fix: plusFix,
    viaHelper: helperPasscode('+231771234567'),
    byHand: () => handPasscode({ phone: '+231771234567' }),
  },
  {
    name: 'a phone with spaces',
    field: 'passcode.token.phone',
    fix: plusFix,
    viaHelper: helperPasscode('231 77 123 4567'),
    byHand: () => handPasscode({ phone: '231 77 123 4567' }),
  },
  {
    name: 'a phone with 7 digits',
    field: 'passcode.token.phone',
    fix: phoneFix,
    viaHelper: helperPasscode('2317712'),
    byHand: () => handPasscode({ phone: '2317712' }),
  },
  {
    name: 'a phone with 16 digits',
    field: 'passcode.token.phone',
    fix: phoneFix,
    viaHelper: helperPasscode('2317712345678901'),
    byHand: () => handPasscode({ phone: '2317712345678901' }),
  },
  {
    name: 'a non-IP clientIp',
    field: 'passcode.device.client_ip',
    fix: /client_ip must be an IPv4 or IPv6 address/,
    viaHelper: () => serverDevice({ clientIp: 'payout-host.internal' }),
    byHand: () => handPasscode({}, { ...GOOD_DEVICE, client_ip: 'payout-host.internal' }),
  },
  {
    name: 'a missing device field (platform)',
    field: 'passcode.device.platform',
    fix: /passcode\.device\.platform must be a non-empty string/,
    viaHelper: () => {
      const { platform: _dropped, ...device } = GOOD_DEVICE;
      return createPasscode({ code: PASSCODE_CODE, phone: '231771234567', device: device as Device });
    },
    byHand: () => {
      const { platform: _dropped, ...device } = GOOD_DEVICE;
      return handPasscode({}, device);
    },
  },
];


describe('bad passcode input is refused before any request', () => {
  describe.each(passcodeCases)('$name', (c) => {
    it('by the helper (createPasscode / serverDevice)', () => {
      expectInputError(thrownBy(c.viaHelper), c.field, c.fix);
    });

    it('by payout() given the same passcode built by hand', async () => {
      const client = makeClient();
      const error = await client.payout(payoutInput({ passcode: c.byHand() })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expectInputError(error, c.field, c.fix);
      expect(sandbox.requests()).toEqual([]);
    });

    it('by raw client.POST of the execution', async () => {
      const client = makeClient();
      const body: PayoutRequest = {
        session_id: '42',
        payout_account_id: '18',
        reference_id: newReferenceId(),
        passcode: c.byHand(),
      };
      const error = await client.POST('/v1/executions/payout', { body }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(sandbox.requests()).toEqual([]);
      expectInputError(error, c.field, c.fix);
    });
  });
});

describe('a bad reference_id is refused before any request', () => {
  const idCases = [
    { name: 'not a UUID', referenceId: 'payout-0001' },
    { name: 'a v1 UUID', referenceId: V1_UUID },
  ];
  const fix = /version-4 UUID: create it with newReferenceId\(\) and store it before sending/;

  it.each(idCases)('$name, via payout()', async ({ referenceId }) => {
    const client = makeClient();
    const error = await client.payout(payoutInput({ referenceId })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectInputError(error, 'reference_id', fix);
    expect(sandbox.requests()).toEqual([]);
  });

  it.each(idCases)('$name, via raw client.POST', async ({ referenceId }) => {
    const client = makeClient();
    const body: PayoutRequest = { session_id: '42', payout_account_id: '18', reference_id: referenceId, passcode: passcode() };
    const error = await client.POST('/v1/executions/payout', { body }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectInputError(error, 'reference_id', fix);
    expect(sandbox.requests()).toEqual([]);
  });
});

describe('execute() refuses bad input before any request, for every kind', () => {
  const kinds = ['collection', 'payout', 'transfer', 'refund'] as const;
  const fix = /version-4 UUID: create it with newReferenceId\(\) and store it before sending/;

  it.each(kinds)('%s: a reference_id that is not a v4 UUID', async (kind) => {
    const client = makeClient();
    const body = { ...executionBody(kind), reference_id: V1_UUID };
    const error = await client.execute(kind, body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectInputError(error, 'reference_id', fix);
    expect(sandbox.requests()).toEqual([]);
  });

  it('payout: an incomplete passcode (no code)', async () => {
    const client = makeClient();
    const body = { ...executionBody('payout'), passcode: handPasscode({ code: '' }) };
    const error = await client.execute('payout', body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectInputError(error, 'passcode.token.code', /passcode\.token\.code must be a non-empty string/);
    expect(sandbox.requests()).toEqual([]);
  });

  it('an unknown kind', async () => {
    const client = makeClient();
    const error = await client.execute('withdrawal' as 'payout', executionBody('payout')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectInputError(error, 'kind', /collection, payout, transfer, refund/);
    expect(sandbox.requests()).toEqual([]);
  });
});

describe('an http: non-loopback baseUrl is refused', () => {
  it('when the client is created, so nothing can be sent', () => {
    const error = thrownBy(() => createDollrClient({ baseUrl: 'http://api.heydollr.app', auth: STATIC_TOKEN }));
    expectInputError(error, 'baseUrl', /must use https: \(http: only on loopback, or set allowInsecureHttp: true\)/);
    expect(sandbox.requests()).toEqual([]);
  });

  it('while http: on loopback (this suite) is accepted', () => {
    expect(() => createDollrClient({ baseUrl: sandbox.url, auth: STATIC_TOKEN })).not.toThrow();
  });
});

describe('numeric ids', () => {
  it('are accepted by payout() and sent as strings', async () => {
    const { sessionId, accountId } = await prepare(sandboxClient(sandbox), 'payout');
    const rec = recorder();
    const client = sandboxClient(sandbox, { fetch: rec.fetch });
    const input = payoutInput({ sessionId, payoutAccountId: accountId });
    await expect(client.payout(input)).resolves.toMatchObject({ reference_id: input.referenceId });
    const posts = rec.sent.filter((r) => r.path === '/v1/executions/payout');
    expect(posts).toHaveLength(1);
    expect(sandbox.executions().map((e) => e.sends)).toEqual([1]);
    const body = JSON.parse(posts[0]?.body.toString('utf8') ?? 'null') as Record<string, unknown>;
    expect(body.session_id).toBe(String(sessionId));
    expect(body.payout_account_id).toBe(String(accountId));
    expect(posts[0]?.body.toString('utf8')).toContain(`"session_id":"${sessionId}","payout_account_id":"${accountId}"`);
  });

  it('are a compile-time error on raw client.POST (the typed body wants strings)', () => {
    // Never called: tsc (npm run typecheck) fails if the typed body starts accepting numbers.
    const _typeOnly = (client: ReturnType<typeof makeClient>) =>
      client.POST('/v1/executions/payout', {
        // @ts-expect-error session_id is a string in the execution body
        body: { session_id: 42, payout_account_id: '18', reference_id: newReferenceId(), passcode: passcode() },
      });
    expect(typeof _typeOnly).toBe('function');
  });
});

describe('errors from bad input', () => {
  it('carry no secrets in any rendering', () => {
    // 7 passcode cases x 3 routes + 2 ids x 2 routes + execute(): 4 kinds + passcode + kind; baseUrl.
    expectNoSecrets(errors.errors, 7 * 3 + 4 + 6 + 1);
  });
});
