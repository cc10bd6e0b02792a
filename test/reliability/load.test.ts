// Load: 1,000 executions of all four kinds (payouts through `client.payout()`, the others
// through `client.execute()`), 50 in flight, through client-credentials auth, against the
// project's stateful sandbox (`startSandbox`: records executions by reference_id, answers
// status lookups, 422 on a reused reference_id, and injects faults).
//
// - 10% of answers are lost after processing: before every 10th execution a 'reset-after'
//   fault is injected for the next execution POST (the sandbox processes it, then cuts the
//   connection). The client must look each one up and return it, never send it again.
// - A token is revoked mid-run: the sandbox's tokens live 24 s (tokenTtlMinutes 0.4) but it
//   reports `expires_in: 1` (whole minutes), so the client plans to refresh at 30 s. Only
//   `Date` is faked (timers, sockets and the sandbox run for real): after half the executions
//   the clock jumps 25 s, and the sandbox answers 401 for the token the client still believes
//   valid. All of those 401s must share ONE renewal.
//
// The client's `fetch` is wrapped to see the wire from the client's side (every request, its
// token, its bytes, its answer); the sandbox's own record (`executions()`, with `sends`) is
// the server-side truth. The figures are printed as one line.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDollrClient, newReferenceId } from '../../src/index.js';
import type { DollrClient, ExecutionKind, ExecutionResponse } from '../../src/index.js';
import { startSandbox } from '../../src/testing/index.js';
import type { Sandbox } from '../../src/testing/index.js';
import { FAST_BACKOFF, passcode } from './helpers/fixtures.js';
import { CLIENT_ID, CLIENT_SECRET, PASSCODE_CODE, createErrorCollector, expectNoSecrets } from './helpers/secrets.js';

const EXECUTIONS = 1_000;
const IN_FLIGHT = 50;
const LOST_EVERY = 10;
const KINDS: readonly ExecutionKind[] = ['payout', 'transfer', 'refund', 'collection'];
const TOKEN_PATH = '/v1/jwt/client/obtain/token';
const PHONE = '231771234567';

interface WireRecord {
  method: string;
  path: string;
  referenceId: string | undefined;
  body: string | undefined;
  token: string | null;
  answer: number | 'error';
}

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

/** `fetch` as the client calls it, recording each request and its answer. */
function recordingFetch(wire: WireRecord[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    let referenceId: string | undefined;
    if (body !== undefined) {
      const parsed = JSON.parse(body) as { reference_id?: unknown };
      if (typeof parsed.reference_id === 'string') referenceId = parsed.reference_id;
    }
    const statusMatch = /^\/v1\/status\/[a-z]+\/(.+)$/.exec(url.pathname);
    const record: WireRecord = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      referenceId: referenceId ?? statusMatch?.[1],
      body,
      token: new Headers(init?.headers).get('authorization'),
      answer: 'error',
    };
    wire.push(record);
    const response = await fetch(input, init);
    record.answer = response.status;
    return response;
  };
}

/** Runs `task` over `count` items, `limit` at a time. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function must<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

function idOf(record: { id?: unknown }, what: string): number {
  if (typeof record.id !== 'number') throw new Error(`${what}: no numeric id in ${JSON.stringify(record)}`);
  return record.id;
}

/** One unused session (and what else the kind's body needs) per execution. */
async function prepareBodies(client: DollrClient): Promise<Array<{ kind: ExecutionKind; body: Record<string, unknown> }>> {
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  const party = must(await client.POST('/v1/parties/create', { body: { fullname: 'Jane Doe', phone: PHONE } }), 'party');
  const account = must(
    await client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type: 'PAYOUT' } },
      body: { account_name: 'Jane MoMo', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.id },
    }),
    'payout account',
  );
  const collector = must(
    await client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type: 'COLLECTION' } },
      body: { account_name: 'Jane Collect', provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.id },
    }),
    'collection account',
  );
  const counterparty = must(await client.POST('/v1/counterparties/create', { body: { relationship_type: 'SUPPLIER', party_id: party.id } }), 'counterparty');
  const bodies: Array<{ kind: ExecutionKind; body: Record<string, unknown> }> = new Array(EXECUTIONS);
  await pool(EXECUTIONS, IN_FLIGHT, async (i) => {
    const kind = KINDS[i % KINDS.length] as ExecutionKind;
    const reference_id = newReferenceId();
    if (kind === 'payout') {
      const session = must(await client.POST('/v1/sessions/payout', { body: { payout_account_id: account.id, amount: 25, currency: 'USD' } }), 'payout session');
      bodies[i] = { kind, body: { sessionId: session.id, payoutAccountId: account.id, referenceId: reference_id } };
    } else if (kind === 'transfer') {
      const session = must(
        await client.POST('/v1/sessions/transfer', {
          body: { from_wallet_id: 1001, to_counterparty_id: idOf(counterparty, 'counterparty'), amount: 12.5, currency: 'USD', expires_at: inAnHour },
        }),
        'transfer session',
      );
      bodies[i] = { kind, body: { session_id: String(session.id), reference_id } };
    } else if (kind === 'refund') {
      const session = must(
        await client.POST('/v1/sessions/refund', { body: { original_payment_intent_id: i + 1, amount: 5, reason: 'Damaged item', expires_at: inAnHour } }),
        'refund session',
      ) as { id?: unknown };
      bodies[i] = { kind, body: { session_id: String(session.id), reference_id } };
    } else {
      const checkout = must(
        await client.POST('/v1/checkouts/create', {
          body: { mode: 'PAYMENT_LINK', source_kind: 'INVOICE', party_name: 'Ama K', party_phone: '231886543210', currency: 'USD', items: [{ name: 'Ticket', currency: 'USD', amount: 15 }] },
        }),
        'checkout',
      );
      const session = must(await client.POST('/v1/sessions/checkout', { body: { source_id: checkout.source_id, source_type: 'INVOICE' } }), 'checkout session');
      bodies[i] = { kind, body: { session_id: String(session.id), payment_account_id: String(collector.id), currency: 'USD', reference_id } };
    }
  });
  return bodies;
}

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    settleAfterMs: 0,
    tokenTtlMinutes: 0.4,
    credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    passcode: { code: PASSCODE_CODE, phone: PHONE },
  });
});
afterAll(async () => {
  vi.useRealTimers();
  await sandbox.close();
});

describe('load', () => {
  it('1,000 executions, 50 in flight, 10% of answers lost after processing, a token revoked mid-run: all reconciled or completed, none processed twice', async () => {
    const gc = collectGarbage();
    const errors = createErrorCollector();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    const wire: WireRecord[] = [];
    try {
      const client = createDollrClient({
        baseUrl: sandbox.url,
        auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
        fetch: recordingFetch(wire),
        maxRetries: 2,
        timeoutMs: 15_000,
        backoff: FAST_BACKOFF,
        logLevel: 'off',
      });
      const jobs = await prepareBodies(client);
      const setupRequests = wire.length;
      const heapBefore = await settledHeap(gc);

      const referenceIds: string[] = jobs.map((job) => String(job.body.reference_id ?? job.body.referenceId));
      const results: PromiseSettledResult<ExecutionResponse>[] = new Array(EXECUTIONS);
      let settled = 0;
      let injected = 0;
      let jumpedAt = -1;
      await pool(EXECUTIONS, IN_FLIGHT, async (i) => {
        const job = jobs[i] as (typeof jobs)[number];
        if (i % LOST_EVERY === 0) {
          sandbox.inject({ method: 'POST', path: /^\/v1\/executions\//, fault: 'reset-after' });
          injected++;
        }
        try {
          const value =
            job.kind === 'payout'
              ? await client.payout({
                  sessionId: job.body.sessionId as number,
                  payoutAccountId: job.body.payoutAccountId as number,
                  referenceId: job.body.referenceId as string,
                  passcode: passcode(),
                })
              : await client.execute(job.kind, job.body as never);
          results[i] = { status: 'fulfilled', value };
        } catch (error) {
          results[i] = { status: 'rejected', reason: errors.add(error) };
        }
        if (++settled === EXECUTIONS / 2) {
          jumpedAt = wire.length;
          vi.setSystemTime(Date.now() + 25_000);
        }
      });

      const heapAfter = await settledHeap(gc);
      process.off('unhandledRejection', onUnhandled);

      // ---- figures ----------------------------------------------------------------------
      const run = wire.slice(setupRequests);
      const posts = run.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/executions/'));
      const lookups = run.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/status/'));
      const tokenRequests = wire.filter((r) => r.path === TOKEN_PATH);
      const lost = posts.filter((r) => r.answer === 'error');
      const duplicates = posts.filter((r) => r.answer === 422);
      const postsByRef = new Map<string, WireRecord[]>();
      for (const post of posts) postsByRef.set(String(post.referenceId), [...(postsByRef.get(String(post.referenceId)) ?? []), post]);
      const foundByLookup = new Set(lookups.filter((r) => r.answer === 200).map((r) => String(r.referenceId)));
      const completed = new Set(posts.filter((r) => r.answer === 200).map((r) => String(r.referenceId)));
      const reconciled = [...foundByLookup].filter((ref) => !completed.has(ref));
      const resentAfter404 = new Set(lookups.filter((r) => r.answer === 404).map((r) => String(r.referenceId)));
      const rejected401 = run.filter((r) => r.answer === 401);
      const tokensUsed = new Set(run.map((r) => r.token).filter((t): t is string => t !== null));
      const processed = sandbox.executions();
      const processedByRef = new Map(processed.map((e) => [e.referenceId, e]));
      // The sandbox refuses a POST whose reference_id already landed (422 on body.reference_id):
      // each such answer is an execution a server without that check would have run twice.
      const processedTwice = [...new Set(duplicates.map((r) => String(r.referenceId)))];
      const rejectedCount = results.filter((r) => r.status === 'rejected').length;
      const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
      console.log(
        `[reliability:load] server=startSandbox executions=${EXECUTIONS} (${KINDS.join('/')}) inFlight=${IN_FLIGHT} ` +
          `fulfilled=${EXECUTIONS - rejectedCount} completed=${completed.size} reconciled=${reconciled.length} ` +
          `answersLost=${lost.length}/${injected} (on processed POSTs: ${reconciled.length}, ` +
          `on 401-refused POSTs, so 404 and re-sent: ${resentAfter404.size}) executionPOSTs=${posts.length} ` +
          `statusLookups=${lookups.length} duplicates422=${duplicates.length} processedTwice=${processedTwice.length} ` +
          `401s=${rejected401.length} tokenRequests=${tokenRequests.length} tokensUsed=${tokensUsed.size} ` +
          `unhandledRejections=${unhandled.length} heapGrowthMB=${mb(heapAfter - heapBefore)}`,
      );

      // ---- every execution settled, with its own result ----------------------------------
      expect(errors.errors.map((e) => String(e)).slice(0, 3)).toEqual([]);
      results.forEach((r, i) => {
        expect(r.status).toBe('fulfilled');
        const value = (r as PromiseFulfilledResult<ExecutionResponse>).value;
        expect(value.reference_id).toBe(referenceIds[i]);
        expect(value.operation_type).toBe(jobs[i]?.kind.toUpperCase());
      });
      // Reconciled (found by a status lookup after a lost answer) or completed (answered 200).
      for (const ref of referenceIds) expect(completed.has(ref) || foundByLookup.has(ref)).toBe(true);

      // ---- nothing lost, nothing processed twice ------------------------------------------
      expect(processed).toHaveLength(EXECUTIONS);
      expect(new Set(processed.map((e) => e.referenceId))).toEqual(new Set(referenceIds));
      expect(duplicates).toEqual([]);
      expect(processedTwice).toEqual([]);
      // Every execution POST the client sent reached the sandbox (its request log, 10,000 records, holds the whole run).
      const arrived = sandbox.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/v1/executions/'));
      expect(arrived).toHaveLength(posts.length);
      for (const ref of referenceIds) {
        const sent = postsByRef.get(ref) ?? [];
        // The sandbox counts a send once it passed authentication: every POST of this id but
        // those refused 401, where the refusal was seen or (a reset on a refused POST) proven
        // by the lookup that found nothing. Each went out with the same bytes.
        const refusedUnseen = resentAfter404.has(ref) ? 1 : 0;
        expect(processedByRef.get(ref)?.sends).toBe(sent.filter((p) => p.answer !== 401).length - refusedUnseen);
        expect(new Set(sent.map((p) => p.body)).size).toBe(1);
        expect(processedByRef.get(ref)?.body).toEqual(JSON.parse(sent[0]?.body ?? 'null'));
      }

      // ---- the faults really happened ------------------------------------------------------
      expect(injected).toBe(EXECUTIONS / LOST_EVERY);
      expect(lost).toHaveLength(injected);
      // A reset can land on a POST the sandbox refused with 401 (the fault is checked before the
      // bearer): that one never landed, so its lookup says 404 and it is sent again.
      expect(reconciled.length + resentAfter404.size).toBe(injected);
      expect(resentAfter404.size).toBeLessThanOrEqual(rejected401.length);
      expect(reconciled.length).toBeGreaterThan(injected / 2);
      expect(jumpedAt).toBeGreaterThan(0);
      expect(rejected401.length).toBeGreaterThan(0);
      // Only the revoked token was refused; its successor never was.
      const firstToken = run.find((r) => r.token !== null)?.token;
      expect(rejected401.every((r) => r.token === firstToken)).toBe(true);
      expect(tokensUsed.has(firstToken ?? '')).toBe(true);

      // ---- one token request per token lifetime ---------------------------------------------
      expect(tokenRequests).toHaveLength(2);
      expect(tokensUsed.size).toBe(2);
      expect(wire.filter((r) => r.path === TOKEN_PATH && r.answer !== 200)).toEqual([]);

      expect(unhandled).toEqual([]);
      expect(heapAfter - heapBefore).toBeLessThan(50 * 1024 * 1024);
      expectNoSecrets(errors.errors, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      vi.useRealTimers();
    }
  }, 180_000);
});
