/**
 * The runner: a thin loop around the pure machine (machine.ts). Workers claim rows from the
 * store with a lease, ask `decide` for the next step, perform it against Dollr, and record what
 * they learned before taking the next step. A crash at any point leaves the last recorded state;
 * whoever claims the row next starts with a lookup of its reference id.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createDollrClient } from '../client.js';
import type { DollrClient } from '../client.js';
import type { FetchLike } from '../core/transport.js';
import { retryAfterMs } from '../core/retry.js';
import type { DollrAuth } from '../core/auth.js';
import { createPasscode, serverDevice } from '../helpers/passcode.js';
import { newReferenceId } from '../helpers/reference-id.js';
import type { Passcode } from '../core/types.js';
import { fromExecuteError, fromExecution, isRefusalStatus } from './classify.js';
import { apply, decide, END_STATES, isFinal } from './machine.js';
import type { Budget, Outcome, RowFacts, RowState } from './machine.js';
import type { PayoutRow } from './rows.js';
import { openSql } from './sql.js';
import type { Sql } from './sql.js';
import { BatchStore, LeaseLostError, MAX_LEASE_MS } from './store.js';
import type { StoredRow } from './store.js';
import { localPause, sharedPause, sqlTokenStore } from './token-store.js';
import { toReportCsv } from './report.js';
import { memoryTokenStore } from '../core/token-store.js';

/** One change of a row's state, as `--json` prints it. */
export interface RowEvent {
  /** The row's `row_id`. */
  row_id: string;
  /** The state the row just entered. */
  state: RowState;
  /** The row's reference id at Dollr; null before it is minted. */
  reference_id?: string | null;
  /** Dollr's provider transaction id, in end states only (null when Dollr gave none). */
  provider_transaction_id?: string | null;
  /** In end states: Dollr's message for FAILED, its refusal for REJECTED, the reason for NEEDS_REVIEW; else null. */
  message?: string | null;
}

/** The merchant passcode the runner builds for every execution. */
export interface BatchPasscode {
  /** The merchant's passcode: a secret, never logged. */
  code: string;
  /** The merchant's phone (give this or `userId`). */
  phone?: string;
  /** The merchant's user id (give this or `phone`). */
  userId?: string;
  /** This server's IP for the passcode's device block. Default `127.0.0.1`. */
  clientIp?: string;
}

/** A row as the store holds it when the run starts. */
export interface LoadedRow {
  /** The row's `row_id`. */
  rowId: string;
  /** Its recorded state (`NEW` unless the batch is resumed). */
  state: RowState;
}

/** What `runBatch` is given. */
export interface RunOptions {
  /** Batch name: workers that agree on it share the work; a batch that has state is resumed. */
  batch: string;
  /** The rows, checked (from `readBatchCsv` or `checkRows`); rows new to the batch are added. */
  rows: PayoutRow[];
  /** A directory (embedded PGlite, one process at a time) or a `postgres://` URL (a fleet). */
  db: string;
  /** Dollr's API origin. Default `https://api.heydollr.app`. */
  baseUrl?: string;
  /** Client credentials (shared through the database by the whole fleet) or a token. */
  auth: DollrAuth;
  /** The merchant passcode (code and phone or user id) and the server's IP for the device block. */
  passcode: BatchPasscode;
  /** Rows worked at once by this process. Default 8. */
  concurrency?: number;
  /** Lease length in ms, at most 30000 (the default). */
  leaseMs?: number;
  /** Delay between status lookups of a PROCESSING row. Default 3000 ms. */
  pollIntervalMs?: number;
  /** How long a row may stay unknown or PROCESSING before NEEDS_REVIEW. Default 10 minutes. */
  maxWaitMs?: number;
  /** Unknown outcomes in a row before NEEDS_REVIEW. Default 8. */
  maxUnknowns?: number;
  /** Per-attempt HTTP timeout. Default the client's (30 s). */
  timeoutMs?: number;
  /** Called on every change of a row's state. */
  onEvent?: (event: RowEvent) => void;
  /** Called once the rows are loaded, with each row's recorded state (a resumed batch starts where it was). */
  onStart?: (rows: LoadedRow[]) => void;
  /** Stops the run: workers stop taking steps and leases are released; what was recorded stays. */
  signal?: AbortSignal;
  /** The fetch to use. Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

/** A batch's state: what `runBatch` returns at its end and `batchStatus` reads at any time. */
export interface RunSummary {
  /** The batch name. */
  batch: string;
  /** Rows in the batch. */
  total: number;
  /** Rows per state (every state present, 0 when none). */
  counts: Record<RowState, number>;
  /** `row_id`s whose outcome is still unknown: a rerun looks them up again. */
  needsReview: string[];
  /** `row_id`s refused by Dollr before processing (the report has its message). */
  rejected: string[];
  /** True when every row is COMPLETED, FAILED or REJECTED and none needs review. */
  ok: boolean;
}

const SESSION_MARGIN_MS = 2_000;

/** Waits `ms`, or less if the run is stopped (resolves either way). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The lease length: at most 30 s, at least 1 s. */
export function checkLease(leaseMs: number | undefined): number {
  const lease = leaseMs ?? MAX_LEASE_MS;
  if (!Number.isFinite(lease) || lease < 1_000 || lease > MAX_LEASE_MS) throw new RangeError(`leaseMs must be from 1000 to ${MAX_LEASE_MS}`);
  return lease;
}

/** A key for the shared token: one per API and client id, so merchants sharing a database never mix. */
function tokenKey(baseUrl: string, auth: DollrAuth): string {
  const id = typeof auth === 'object' ? auth.clientId : 'static';
  return `${baseUrl}|${id}`;
}

/** Opens the store and loads the rows (refusing changed ones) without sending anything. */
export async function openBatch(db: string, batch: string, rows: PayoutRow[], poolSize?: number): Promise<{ sql: Sql; store: BatchStore }> {
  const sql = await openSql(db, poolSize === undefined ? {} : { poolSize });
  try {
    const store = await BatchStore.open(sql, batch);
    await store.load(rows);
    return { sql, store };
  } catch (error) {
    await sql.close();
    throw error;
  }
}

/** The summary of a batch as its store records it now. */
export async function summarize(store: BatchStore): Promise<RunSummary> {
  const rows = await store.rows();
  const counts = await store.counts();
  const needsReview = rows.filter((r) => r.state === 'NEEDS_REVIEW').map((r) => r.rowId);
  const rejected = rows.filter((r) => r.state === 'REJECTED').map((r) => r.rowId);
  return { batch: store.batch, total: rows.length, counts, needsReview, rejected, ok: rows.every((r) => isFinal(r.state)) };
}

/** Opens a batch's store read-only in intent (it creates the tables if missing) and runs `read` on it. */
async function readStore<T>(db: string, batch: string, read: (store: BatchStore) => Promise<T>): Promise<T> {
  const sql = await openSql(db);
  try {
    return await read(await BatchStore.open(sql, batch));
  } finally {
    await sql.close();
  }
}

/** `dollr-payouts status`: rows per state, and the NEEDS_REVIEW and REJECTED rows. Sends nothing. */
export function batchStatus(db: string, batch: string): Promise<RunSummary> {
  return readStore(db, batch, summarize);
}

/**
 * `dollr-payouts report`: the batch as CSV, rows in file order, header
 * `row_id,reference_id,status,amount,currency,provider_transaction_id,message`. Sends nothing.
 */
export function batchReport(db: string, batch: string): Promise<string> {
  return readStore(db, batch, async (store) => toReportCsv(await store.rows()));
}

/**
 * Pays every row of the batch at most once and works each to an end state: COMPLETED, FAILED,
 * REJECTED or NEEDS_REVIEW. Refuses with `ChangedRowsError` (before sending anything) when a
 * known `row_id` changed amount, currency or recipient. Safe to run again after any crash, and
 * from many processes at once on one `postgres://` database.
 */
export async function runBatch(options: RunOptions): Promise<RunSummary> {
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new RangeError('concurrency must be an integer from 1 to 256');
  const leaseMs = checkLease(options.leaseMs);
  const pollIntervalMs = options.pollIntervalMs ?? 3_000;
  const budget: Budget = { maxUnknowns: options.maxUnknowns ?? 8, maxWaitMs: options.maxWaitMs ?? 10 * 60_000, sessionMarginMs: 0 };
  const baseUrl = options.baseUrl ?? 'https://api.heydollr.app';
  const passcode: Passcode = createPasscode({
    code: options.passcode.code,
    ...(options.passcode.phone === undefined ? {} : { phone: options.passcode.phone }),
    ...(options.passcode.userId === undefined ? {} : { userId: options.passcode.userId }),
    device: serverDevice({ clientIp: options.passcode.clientIp ?? '127.0.0.1', name: 'dollr-payouts' }),
  });

  // Every worker may wait on the run's signal at once.
  if (options.signal) setMaxListeners(concurrency * 2 + 10, options.signal);
  const { sql, store } = await openBatch(options.db, options.batch, options.rows, concurrency + 3);
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const held = new Set<string>();
  let renewTimer: ReturnType<typeof setInterval> | undefined;
  try {
    if (sql.engine === 'pglite') await store.releaseStale(); // one process per embedded store
    const since = await store.now();
    options.onStart?.((await store.rows()).map((r) => ({ rowId: r.rowId, state: r.state })));
    const key = tokenKey(baseUrl, options.auth);
    // The embedded store serves one process: pause and token are shared in memory (a PGlite
    // transaction held over the token request would also block the pause check it makes).
    const shared = sql.engine === 'postgres';
    const pause = shared ? sharedPause(sql, key) : localPause();
    const baseFetch = options.fetch ?? (globalThis.fetch as FetchLike);
    // Every request waits out a pause any worker of the fleet was told to take.
    const fetch: FetchLike = async (input, init) => {
      await pause.wait();
      const response = await baseFetch(input, init);
      if (response.status === 429) await pause.pauseFor(retryAfterMs(response.headers) ?? 1_000).catch(() => undefined);
      return response;
    };
    const client = createDollrClient({
      baseUrl,
      auth: options.auth,
      tokenStore: shared ? await sqlTokenStore(sql, { key }) : memoryTokenStore(),
      fetch,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });

    renewTimer = setInterval(() => {
      store.renew(owner, [...held], leaseMs).catch(() => undefined);
    }, Math.max(250, Math.floor(leaseMs / 3)));
    renewTimer.unref?.();

    const worker = new RowWorker({ store, client, owner, leaseMs, budget, pollIntervalMs, passcode, emit: options.onEvent ?? (() => undefined), signal: options.signal });
    let fatal: unknown;
    const loop = async (): Promise<void> => {
      while (!options.signal?.aborted && fatal === undefined) {
        const [row] = await store.claim(owner, 1, leaseMs, since);
        if (!row) {
          if ((await store.open(since)) === 0) return;
          await sleep(Math.min(500, leaseMs / 4), options.signal); // others hold the rest: take over if they die
          continue;
        }
        held.add(row.rowId);
        try {
          await worker.work(row);
        } catch (error) {
          if (!(error instanceof LeaseLostError)) {
            // A transient failure of a harmless call (session, party) or of the store: give the
            // row back with what was recorded and come back to it later.
            await store.update(owner, row.rowId, {}, leaseMs, true).catch(() => undefined);
            if (isStopping(error)) fatal = error;
            else await sleep(pollIntervalMs, options.signal);
          }
        } finally {
          held.delete(row.rowId);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    if (fatal !== undefined) throw fatal;
    return await summarize(store);
  } finally {
    if (renewTimer) clearInterval(renewTimer);
    await store.releaseAll(owner).catch(() => undefined);
    await sql.close();
  }
}

/** Errors that stop the run instead of a row: bad settings no row can get past. */
function isStopping(error: unknown): boolean {
  return error instanceof Error && error.name === 'DollrInputError';
}

interface WorkerContext {
  store: BatchStore;
  client: DollrClient;
  owner: string;
  leaseMs: number;
  budget: Budget;
  pollIntervalMs: number;
  passcode: Passcode;
  emit: (event: RowEvent) => void;
  signal: AbortSignal | undefined;
}

type PartyCreate = (body: { fullname: string; phone: string }) => Promise<string>;

/** Works one claimed row to an end state (or until its lease is lost or the run stops). */
class RowWorker {
  constructor(private readonly c: WorkerContext) {}

  async work(row: StoredRow): Promise<void> {
    const { store, owner, leaseMs, budget } = this.c;
    const facts: RowFacts = {
      state: row.state,
      referenceId: row.referenceId,
      accountId: row.accountId,
      sessionId: row.sessionId,
      sessionExpiresAt: row.sessionExpiresAt,
      lookedUp: row.referenceId === null,
      unknowns: 0,
      waitingSince: null,
    };
    const record = async (outcome: Outcome): Promise<void> => {
      const change = apply(facts, outcome, Date.now());
      const before = facts.state;
      Object.assign(facts, change);
      // Only what changed is written: a poll that finds it still PROCESSING writes nothing.
      const persisted = {
        ...(change.state === undefined || change.state === before ? {} : { state: change.state }),
        ...(change.sessionId === null ? { sessionId: null, sessionExpiresAt: null } : {}),
        ...(change.providerTransactionId === undefined ? {} : { providerTransactionId: change.providerTransactionId }),
        ...(change.message === undefined ? {} : { message: change.message }),
      };
      const ended = isFinal(facts.state);
      if (Object.keys(persisted).length > 0 || ended) await store.update(owner, row.rowId, persisted, leaseMs, ended);
      if (facts.state !== before) this.emit(row, facts.referenceId, facts.state, change.providerTransactionId, change.message);
    };

    for (;;) {
      if (this.c.signal?.aborted) return;
      const step = decide(facts, budget, Date.now());
      switch (step.do) {
        case 'done':
          // Final states were written with the lease released; a NEEDS_REVIEW row looked up again still holds it.
          if (!isFinal(facts.state)) await store.update(owner, row.rowId, {}, leaseMs, true);
          return;
        case 'mint': {
          const referenceId = await store.setReferenceId(owner, row.rowId, newReferenceId(), leaseMs);
          facts.referenceId = referenceId;
          facts.state = 'REFERENCED';
          this.emit(row, facts.referenceId, 'REFERENCED');
          break;
        }
        case 'lookup':
        case 'poll': {
          if (step.do === 'poll' || facts.unknowns > 0) await sleep(step.do === 'poll' ? this.c.pollIntervalMs : backoff(facts.unknowns), this.c.signal);
          let outcome: Outcome;
          try {
            outcome = fromExecution(await this.c.client.getExecution('payout', facts.referenceId!, { maxRetries: 1 }));
          } catch (error) {
            if (isStopping(error)) throw error;
            outcome = { kind: 'unknown', why: 'lookup failed' };
          }
          if (facts.waitingSince === null && outcome.kind === 'unknown') facts.waitingSince = Date.now();
          await record(outcome);
          break;
        }
        case 'recipient': {
          facts.accountId = await this.recipient(row, facts.referenceId);
          if (facts.accountId === null) return; // REJECTED recorded
          await store.update(owner, row.rowId, { accountId: facts.accountId }, leaseMs);
          break;
        }
        case 'session': {
          const created = await this.session(row, facts.accountId!);
          if ('refused' in created) {
            await record({ kind: 'refused', message: created.refused });
            break;
          }
          Object.assign(facts, { sessionId: created.id, sessionExpiresAt: created.expiresAt, state: 'SESSION' });
          await store.update(owner, row.rowId, { sessionId: created.id, sessionExpiresAt: created.expiresAt, state: 'SESSION' }, leaseMs);
          this.emit(row, facts.referenceId, 'SESSION');
          break;
        }
        case 'execute': {
          // Recorded before sending: a crash from here on is an unknown outcome, looked up first.
          await store.update(owner, row.rowId, { state: 'SENT' }, leaseMs);
          facts.state = 'SENT';
          this.emit(row, facts.referenceId, 'SENT');
          let outcome: Outcome;
          try {
            outcome = fromExecution(
              await this.c.client.payout({ sessionId: facts.sessionId!, payoutAccountId: facts.accountId!, referenceId: facts.referenceId!, passcode: this.c.passcode }),
            );
            if (outcome.kind === 'not-found') outcome = { kind: 'unknown', why: 'no body' };
          } catch (error) {
            outcome = fromExecuteError(error);
          }
          facts.waitingSince ??= Date.now();
          await record(outcome);
          break;
        }
        case 'review':
          facts.state = 'NEEDS_REVIEW';
          await store.update(owner, row.rowId, { state: 'NEEDS_REVIEW', message: step.reason }, leaseMs, true);
          this.emit(row, facts.referenceId, 'NEEDS_REVIEW', undefined, step.reason);
          return;
      }
    }
  }

  private emit(row: StoredRow, referenceId: string | null, state: RowState, providerTransactionId?: string | null, message?: string | null): void {
    this.c.emit({
      row_id: row.rowId,
      state,
      reference_id: referenceId,
      ...(END_STATES.includes(state) ? { provider_transaction_id: providerTransactionId ?? null, message: message ?? null } : {}),
    });
  }

  /** The payout account of a phone row: created once per distinct phone in the batch, recorded, reused. */
  private async recipient(row: StoredRow, referenceId: string | null): Promise<string | null> {
    const { store, leaseMs } = this.c;
    const owner = `${this.c.owner}#${row.rowId}`; // one worker, not the whole process
    const phone = row.phone!;
    for (;;) {
      const found = await store.recipient(owner, phone, leaseMs);
      if ('accountId' in found) return found.accountId;
      if ('refused' in found) {
        await store.update(this.c.owner, row.rowId, { state: 'REJECTED', message: found.refused }, leaseMs, true);
        this.emit(row, referenceId, 'REJECTED', null, found.refused);
        return null;
      }
      if ('wait' in found) {
        await sleep(100, this.c.signal);
        continue;
      }
      try {
        let partyId = found.partyId;
        if (partyId === null) {
          partyId = await this.createParty({ fullname: row.name!, phone });
          await store.recordRecipient(owner, phone, { partyId });
        }
        const provider = row.provider ?? (await this.detectProvider(phone));
        const account = await this.c.client.POST('/v1/payment-accounts/create', {
          params: { query: { operation_type: 'PAYOUT' } },
          body: { account_name: row.name!, provider, method: 'MOBILE_MONEY', party_id: Number(partyId) },
        });
        if (!account.data) throw new RefusedCall(account.error, account.response.status);
        const accountId = String(account.data.id);
        await store.recordRecipient(owner, phone, { accountId });
        return accountId;
      } catch (error) {
        if (error instanceof RefusedCall && error.final) {
          await store.recordRecipient(owner, phone, { message: error.message });
          continue; // every row of this phone ends REJECTED with Dollr's message
        }
        throw error;
      }
    }
  }

  private createParty: PartyCreate = async (body) => {
    const party = await this.c.client.POST('/v1/parties/create', { body });
    if (!party.data) throw new RefusedCall(party.error, party.response.status);
    return String(party.data.id);
  };

  private async detectProvider(phone: string): Promise<string> {
    const info = await this.c.client.GET('/v1/predictions/mmo-provider-info', { params: { query: { phone, operation_type: 'PAYOUT' } } });
    if (!info.data) throw new RefusedCall(info.error, info.response.status);
    const data = info.data as { gateway_provider?: unknown; payment_method?: unknown };
    const provider = data.gateway_provider ?? data.payment_method;
    if (typeof provider !== 'string' || provider === '') throw new RefusedCall({ detail: `no mobile money provider known for ${phone}` }, 422);
    return provider;
  }

  private async session(row: StoredRow, accountId: string): Promise<{ id: string; expiresAt: number } | { refused: string }> {
    const result = await this.c.client.POST('/v1/sessions/payout', {
      body: { payout_account_id: Number(accountId), amount: Number(row.amount), currency: row.currency },
    });
    if (!result.data) {
      const refused = new RefusedCall(result.error, result.response.status);
      if (refused.final) return { refused: refused.message };
      throw refused;
    }
    // Recorded as "usable until": a little before Dollr's expires_at (a quarter of its lifetime
    // at most), so a send does not race the expiry.
    const now = Date.now();
    const parsed = Date.parse(String(result.data.expires_at));
    const expiresAt = Number.isFinite(parsed) ? parsed : now + 60_000;
    return { id: String(result.data.id), expiresAt: expiresAt - Math.min(SESSION_MARGIN_MS, Math.max(0, expiresAt - now) / 4) };
  }
}

/** A non-money call answered with an error: final (REJECTED) for a 4xx with a reason, else worth another try later. */
class RefusedCall extends Error {
  readonly final: boolean;
  constructor(body: unknown, status: number) {
    const detail = (body as { detail?: unknown } | undefined)?.detail;
    const text = Array.isArray(detail)
      ? detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('; ')
      : typeof detail === 'string' ? detail : '';
    super(`${status}${text ? `: ${text}` : ''}`);
    this.final = isRefusalStatus(status);
  }
}

function backoff(unknowns: number): number {
  return Math.min(250 * 2 ** Math.max(0, unknowns - 1), 10_000) * (0.5 + Math.random() / 2);
}
