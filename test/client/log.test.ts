// logger + logLevel: what is written at each level, where the level comes from, and what never is.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDollrClient, DollrInputError } from '../../src/index.js';
import type { Logger } from '../../src/index.js';
import { createLog } from '../../src/core/log.js';
import { obtainToken, prepare, sandboxClient, startDollr } from '../reliability/helpers/dollr-sandbox.js';
import { FAST_BACKOFF, SECRET_CODE, payoutBody } from './helpers/fixtures.js';

function collect(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') }, lines };
}

afterEach(() => vi.unstubAllEnvs());

describe('createLog', () => {
  it('writes its level and those above it, prefixed', () => {
    const { logger, lines } = collect();
    const log = createLog(logger, 'info');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines).toEqual(['info dollr: i', 'warn dollr: w', 'error dollr: e']);
    expect(log.debugOn).toBe(false);
    expect(log.infoOn).toBe(true);
  });

  it("defaults to 'warn', takes DOLLR_LOG, and lets the option win over the environment", () => {
    expect(createLog(collect().logger, undefined).infoOn).toBe(false);
    vi.stubEnv('DOLLR_LOG', 'debug');
    expect(createLog(collect().logger, undefined).debugOn).toBe(true);
    expect(createLog(collect().logger, 'off').infoOn).toBe(false);
  });

  it('refuses an unknown level, naming where it came from', () => {
    expect(() => createLog(undefined, 'verbose' as never)).toThrow(DollrInputError);
    vi.stubEnv('DOLLR_LOG', 'loud');
    expect(() => createLog(undefined, undefined)).toThrow(/DOLLR_LOG must be one of off, error, warn, info, debug/);
  });

  it('off writes nothing', () => {
    const { logger, lines } = collect();
    const log = createLog(logger, 'off');
    log.error('e');
    expect(lines).toEqual([]);
  });
});

describe('client logging', () => {
  it('logs attempts at debug and reconciliation at info, never a secret or a body', async () => {
    // The sandbox as Dollr: the payout lands, the gateway answers 503 (echoing the passcode
    // code), the lookup finds it. The client holds a token from the sandbox.
    const sandbox = await startDollr({ settleAfterMs: 600_000, passcode: { code: SECRET_CODE, phone: '231771234567' } });
    try {
      const token = await obtainToken(sandbox);
      const { sessionId, accountId } = await prepare(sandboxClient(sandbox), 'payout');
      sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: { status: 503, processed: true, body: { detail: `echo ${SECRET_CODE}` } } });
      const { logger, lines } = collect();
      const client = createDollrClient({ baseUrl: sandbox.url, auth: token, backoff: FAST_BACKOFF, logger, logLevel: 'debug' });
      const body = { ...payoutBody(), session_id: String(sessionId), payout_account_id: String(accountId) };
      const { data } = await client.POST('/v1/executions/payout', { body });
      expect(data?.status).toBe('PENDING');
      expect(lines).toEqual([
        expect.stringMatching(/^debug dollr: POST \/v1\/executions\/payout -> 503 in \d+ ms \(attempt 1\)$/),
        `info dollr: POST /v1/executions/payout answered 503: outcome unknown; looking up ${body.reference_id}`,
        expect.stringMatching(new RegExp(`^debug dollr: GET /v1/status/payout/${body.reference_id} -> 200 in \\d+ ms \\(lookup 1\\)$`)),
        `info dollr: ${body.reference_id} landed: PENDING, not re-sent`,
      ]);
      const all = lines.join('\n');
      for (const secret of [token, SECRET_CODE, 'session_id']) expect(all).not.toContain(secret);
    } finally {
      await sandbox.close();
    }
  });

  it('refuses a logger without the four methods', () => {
    expect(() => createDollrClient({ auth: 't', logger: { info: () => {} } as unknown as Logger })).toThrow(/logger must have debug, info, warn and error/);
  });
});
