// Execution['status'] is typed as the four documented statuses; a status outside them at run
// time must not end a wait (or crash): it is passed through, logged at warn, and not final.
// The network is a `fetch` option answering like Dollr's status endpoint: the client under test
// is the real one.
import { describe, expect, it } from 'vitest';
import { createDollrClient, isFinalStatus, newReferenceId } from '../../src/index.js';
import type { Logger } from '../../src/index.js';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => {};
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (line: string) => warnings.push(line) };
}

function execution(referenceId: string, status: string) {
  return {
    reference_id: referenceId,
    status,
    payer_amount: 25,
    payer_currency: 'USD',
    payee_amount: 25,
    payee_currency: 'USD',
    operation_type: 'PAYOUT',
  };
}

/** Answers each status lookup with the next status of `statuses` (the last one repeats). */
function statusSequence(statuses: string[]) {
  let calls = 0;
  const fetch = async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    const referenceId = url.split('/').pop() ?? '';
    const status = statuses[Math.min(calls++, statuses.length - 1)]!;
    return new Response(JSON.stringify(execution(referenceId, status)), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, calls: () => calls };
}

describe('a status outside the four', () => {
  it('is logged at warn and not treated as final by waitForExecution', async () => {
    const logger = recordingLogger();
    const server = statusSequence(['SETTLING', 'COMPLETED']);
    const client = createDollrClient({ baseUrl: 'https://api.example.test', auth: 't', fetch: server.fetch, logger });
    const referenceId = newReferenceId();
    const seen: string[] = [];
    const done = await client.waitForExecution('payout', referenceId, { pollIntervalMs: 1, onStatus: (e) => seen.push(e.status) });
    expect(done.status).toBe('COMPLETED');
    expect(seen).toEqual(['SETTLING', 'COMPLETED']);
    expect(server.calls()).toBe(2);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain(referenceId);
    expect(logger.warnings[0]).toContain('"SETTLING"');
    expect(logger.warnings[0]).toContain('not final');
  });

  it('is passed through as the server said it by getExecution', async () => {
    const logger = recordingLogger();
    const server = statusSequence(['success']);
    const client = createDollrClient({ baseUrl: 'https://api.example.test', auth: 't', fetch: server.fetch, logger });
    const found = await client.getExecution('refund', newReferenceId());
    expect(found?.status).toBe('success');
    expect(isFinalStatus(found!.status)).toBe(false);
    expect(logger.warnings).toHaveLength(1);
  });

  it('logs nothing for the four documented statuses', async () => {
    const logger = recordingLogger();
    const server = statusSequence(['PENDING', 'PROCESSING', 'FAILED']);
    const client = createDollrClient({ baseUrl: 'https://api.example.test', auth: 't', fetch: server.fetch, logger });
    const done = await client.waitForExecution('transfer', newReferenceId(), { pollIntervalMs: 1 });
    expect(done.status).toBe('FAILED');
    expect(logger.warnings).toEqual([]);
  });
});

describe('isFinalStatus', () => {
  it('is true for COMPLETED and FAILED only', () => {
    expect(['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'completed', ''].map(isFinalStatus)).toEqual([false, false, true, true, false, false]);
  });
});
