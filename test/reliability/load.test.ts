// Load: 1,000 payouts, 50 in flight, through client-credentials auth, against a server
// that fails 10% of first attempts with 503 and whose tokens expire mid-run.
//
// Token lifetime is 10 minutes (expires_in is in minutes), so the client refreshes once
// fewer than 5 minutes remain. Only `Date` is faked (timers, sockets and the server run
// for real): after a third of the payouts the clock jumps 6 minutes (token 1 enters its
// refresh window but is still valid: a proactive refresh, no 401s), after two thirds it
// jumps 11 more (token 2 is now expired server-side: requests already carrying it get a
// 401 and are re-sent once, and all of that shares ONE refresh). Exactly 3 token requests.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExecutionResponse, PayoutInput } from '../../src/index.js';
import { PAYOUT_PATH, TOKEN_PATH, executionFor, ok, startFaultServer, status } from './helpers/fault-server.js';
import type { FaultServer } from './helpers/fault-server.js';
import { makeClient, payoutInput, referenceIdOf } from './helpers/fixtures.js';
import { createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

const PAYOUTS = 1_000;
const IN_FLIGHT = 50;
const TOKEN_MINUTES = 10;

function collectGarbage(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  vi.useRealTimers();
  await server.close();
});

describe('load', () => {
  it('1,000 payouts, 50 in flight, 10% 503s, token expiring mid-run: all settle, none duplicated or lost', async () => {
    const gc = collectGarbage();
    const errors = createErrorCollector();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);

    // Server-side truth, per reference_id.
    const bodies = new Map<string, string>();
    const conflicts: string[] = [];
    const authorized = new Set<string>();
    const processed = new Map<string, number>();
    let firstAuthorized = 0;
    let injected503 = 0;
    let rejected401 = 0;
    server.tokenMinutes = TOKEN_MINUTES;
    server.plan = (req) => {
      const ref = String(referenceIdOf(req));
      const text = req.body.toString('utf8');
      const known = bodies.get(ref);
      if (known === undefined) bodies.set(ref, text);
      else if (known !== text) conflicts.push(ref);
      if (!server.isValidBearer(req.headers)) {
        rejected401++;
        return status(401, { detail: 'Could not validate credentials' });
      }
      // Deterministic 10%: every 10th payout's first authorized arrival gets a 503.
      if (!authorized.has(ref)) {
        authorized.add(ref);
        firstAuthorized++;
        if (firstAuthorized % 10 === 0) {
          injected503++;
          return status(503, { detail: 'unavailable' });
        }
      }
      // Idempotent by reference_id: a repeat returns the same execution, no second effect.
      if (!processed.has(ref)) processed.set(ref, req.index);
      return ok(executionFor(req));
    };

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    try {
      const client = makeClient(server.url, 'credentials', { timeoutMs: 10_000 });
      const inputs: PayoutInput[] = Array.from({ length: PAYOUTS }, () => payoutInput());
      // Measured before any request: the first token request is part of the count.
      const heapBefore = await settledHeap(gc);

      const results: PromiseSettledResult<ExecutionResponse>[] = new Array(PAYOUTS);
      let next = 0;
      let settled = 0;
      const jumps: number[] = [];
      async function worker(): Promise<void> {
        while (next < PAYOUTS) {
          const i = next++;
          const input = inputs[i] as PayoutInput;
          try {
            results[i] = { status: 'fulfilled', value: await client.payout(input) };
          } catch (error) {
            results[i] = { status: 'rejected', reason: errors.add(error) };
          }
          settled++;
          if (settled === Math.floor(PAYOUTS / 3)) {
            vi.setSystemTime(Date.now() + 6 * 60_000);
            jumps.push(6);
          } else if (settled === Math.floor((2 * PAYOUTS) / 3)) {
            vi.setSystemTime(Date.now() + 11 * 60_000);
            jumps.push(11);
          }
        }
      }
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

      const heapAfter = await settledHeap(gc);
      process.off('unhandledRejection', onUnhandled);

      const attempts = server.on(PAYOUT_PATH).length;
      const tokenRequests = server.on(TOKEN_PATH).length;
      const rejectedCount = results.filter((r) => r.status === 'rejected').length;
      const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
      console.log(
        `[reliability:load] payouts=${PAYOUTS} inFlight=${IN_FLIGHT} fulfilled=${PAYOUTS - rejectedCount} ` +
          `attempts=${attempts} retries=${attempts - PAYOUTS} (503=${injected503} 401=${rejected401}) ` +
          `tokenRequests=${tokenRequests} heapBeforeMB=${mb(heapBefore)} heapAfterMB=${mb(heapAfter)} ` +
          `growthMB=${mb(heapAfter - heapBefore)}`,
      );

      expect(jumps).toEqual([6, 11]);
      expect(errors.errors.map((e) => String(e)).slice(0, 3)).toEqual([]);
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      results.forEach((r, i) => {
        expect((r as PromiseFulfilledResult<ExecutionResponse>).value.reference_id).toBe(inputs[i]?.referenceId);
      });
      // Nothing lost, nothing duplicated: every payout processed exactly once server-side.
      expect(processed.size).toBe(PAYOUTS);
      expect(new Set(inputs.map((i) => i.referenceId))).toEqual(new Set(processed.keys()));
      // No reference_id ever sent with two different bodies.
      expect(conflicts).toEqual([]);
      expect(bodies.size).toBe(PAYOUTS);
      // 10% 503s, each retried exactly once; 401s each re-sent once after one shared refresh.
      expect(injected503).toBe(PAYOUTS / 10);
      expect(attempts).toBe(PAYOUTS + injected503 + rejected401);
      // One token request per token lifetime: initial, proactive refresh, refresh after expiry.
      expect(tokenRequests).toBe(3);
      expect(server.grants).toHaveLength(3);
      for (const request of server.on(TOKEN_PATH)) {
        expect(JSON.parse(request.body.toString('utf8'))).toMatchObject({ client_id: expect.any(String) });
      }
      expect(unhandled).toEqual([]);
      expect(heapAfter - heapBefore).toBeLessThan(50 * 1024 * 1024);
      expectNoSecrets(errors.errors, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      vi.useRealTimers();
    }
  }, 45_000);
});
