/**
 * The hostile batch scenario shared by the crash and fleet tests: rows, pre-created payout
 * accounts (some set up to FAIL), and the chaos injected while the runners work.
 */
import { createDollrClient } from '../../src/index.js';
import type { Sandbox } from '../../src/testing/index.js';

export const CURRENCIES = ['GHS', 'LRD', 'NGN', 'USD'];

export interface Batch {
  csv: string;
  rowIds: string[];
  /** row_id -> payout_account_id for account rows. */
  accountOf: Map<string, string>;
  /** row_id -> phone (digits) for phone rows. */
  phoneOf: Map<string, string>;
  /** Accounts whose payouts are set to FAIL ('Insufficient balance'). */
  failingAccounts: Set<string>;
}

export async function makeBatch(sandbox: Sandbox, size: number): Promise<Batch> {
  const client = createDollrClient({ baseUrl: sandbox.url, auth: sandbox.credentials });
  const accounts: string[] = [];
  for (let i = 0; i < 20; i++) {
    const party = await client.POST('/v1/parties/create', { body: { fullname: `Account Holder ${i}`, phone: `23188${String(i).padStart(7, '0')}` } });
    const account = await client.POST('/v1/payment-accounts/create', {
      params: { query: { operation_type: 'PAYOUT' } },
      body: { account_name: `Holder ${i}`, provider: 'MTN_MOMO_LBR', method: 'MOBILE_MONEY', party_id: party.data!.id },
    });
    accounts.push(String(account.data!.id));
  }
  const lines = ['row_id,amount,currency,payout_account_id,phone,name,provider,note'];
  const rowIds: string[] = [];
  const accountOf = new Map<string, string>();
  const phoneOf = new Map<string, string>();
  for (let i = 0; i < size; i++) {
    const rowId = `emp-${String(i).padStart(4, '0')}`;
    rowIds.push(rowId);
    const amount = `${1 + (i % 97)}.${String(i % 100).padStart(2, '0')}`;
    const currency = CURRENCIES[i % CURRENCIES.length];
    if (i % 2 === 0) {
      const account = accounts[i % accounts.length]!;
      accountOf.set(rowId, account);
      lines.push(`${rowId},${amount},${currency},${account},,,,wages`);
    } else {
      // 75 distinct phones (odd i % 150), several rows each; half name their provider, half are detected.
      const n = i % 150;
      const phone = `+231 77${String(n).padStart(7, '0')}`;
      phoneOf.set(rowId, `23177${String(n).padStart(7, '0')}`);
      lines.push(`${rowId},${amount},${currency},,${phone},Recipient ${n},${n % 2 ? 'MTN_MOMO_LBR' : ''},`);
    }
  }
  return { csv: `${lines.join('\n')}\n`, rowIds, accountOf, phoneOf, failingAccounts: new Set(accounts.slice(0, 3)) };
}

/**
 * While runners work: about 10% of execution answers lost after processing, some 503s after
 * processing, some session answers so late
 * the session has expired on arrival, and FAILED outcomes for the failing accounts (set while
 * the execution is still PENDING, so every status anyone reads is consistent).
 */
export function chaos(sandbox: Sandbox, failingAccounts: Set<string>): () => void {
  let lost = 0;
  let unavailable = 0;
  let lateSessions = 0;
  const decided = new Set<string>();
  const timer = setInterval(() => {
    const executions = sandbox.executions();
    for (const e of executions) {
      if (decided.has(e.referenceId)) continue;
      decided.add(e.referenceId);
      if (e.status === 'PENDING' && failingAccounts.has(String(e.body.payout_account_id))) {
        sandbox.setOutcome(e.referenceId, { status: 'FAILED', message: 'Insufficient balance in the merchant wallet' });
      }
    }
    const sent = executions.length;
    if (lost < sent * 0.1 + 1) {
      sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: 'reset-after' });
      lost++;
    }
    if (unavailable < sent * 0.03 + 1) {
      sandbox.inject({ method: 'POST', path: '/v1/executions/payout', fault: { status: 503, processed: true } });
      unavailable++;
    }
    if (lateSessions < 20 && sent % 40 === 0) {
      sandbox.inject({ method: 'POST', path: '/v1/sessions/payout', fault: { delayMs: 2_100 } });
      lateSessions++;
    }
  }, 20);
  return () => clearInterval(timer);
}

export interface ReportRow {
  row_id: string;
  reference_id: string;
  status: string;
  amount: string;
  currency: string;
  provider_transaction_id: string;
  message: string;
}

/** The report has no quoted fields in these scenarios (messages have no commas). */
export function parseReport(csv: string): ReportRow[] {
  const [header, ...lines] = csv.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])) as unknown as ReportRow);
}

/** Reruns until exit 0 (at most `max` runs); returns the last result. */
export async function runUntilDone<R extends { code: number | null }>(run: () => Promise<R>, max: number): Promise<R> {
  let result = await run();
  for (let i = 1; i < max && result.code !== 0; i++) result = await run();
  return result;
}

/** Every phone's rows were paid to one payout account: one recipient per distinct phone, reused. */
export function accountsPerPhone(batch: Batch, accountOfReference: (rowId: string) => unknown): Map<string, Set<unknown>> {
  const byPhone = new Map<string, Set<unknown>>();
  for (const [rowId, phone] of batch.phoneOf) {
    const set = byPhone.get(phone) ?? new Set<unknown>();
    set.add(accountOfReference(rowId));
    byPhone.set(phone, set);
  }
  return byPhone;
}
