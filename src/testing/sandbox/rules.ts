/**
 * The money path's business rules, as Dollr documents them. A session is used by one execution
 * of its own kind, before its `expires_at`. An execution is refused, in this order: a
 * reference_id that is not a v4 UUID or already exists (422 on body.reference_id, checked
 * first, so a re-send of an execution that went through reads as a duplicate, not as a used
 * session); a payout or refund by a merchant that is not fully verified (403, only with
 * `verified: false`); an unknown, expired, used or other-kind session (422 on body.session_id);
 * a wrong account (422); for payouts a wrong passcode (403). Status lookups of unknown
 * reference ids answer 404 `{"detail": "Not Found"}`. Reference ids are UUIDs and compare
 * case-insensitively. Currencies must be ISO 4217 codes; referenced objects (accounts,
 * counterparties, the merchant's wallet, sources) must exist and belong to the merchant.
 */
import { randomBytes } from 'node:crypto';
import { isReferenceId } from '../../core/guards.js';
import { isCurrency } from '../../core/currencies.js';
import { EXECUTION_KINDS } from '../../core/policy.js';
import { executionResponse, executionStatus, sourceStatus, sourceTotal } from './lifecycle.js';
import { asRecord, forbidden, iso, notFound, ok, refuse, toId } from './reply.js';
import type { Handler, Reply, SandboxConfig } from './reply.js';
import { DEFAULT_CURRENCY } from './samples.js';
import { refKey } from './store.js';
import type { Execution, SandboxStore, Session, Source } from './store.js';
import type { ExecutionKind } from './types.js';

export function moneyHandlers(store: SandboxStore, config: SandboxConfig): Record<string, Handler> {
  function newSession(kind: ExecutionKind, now: number, amount: number, currency: string, expiresAt: number, fields: Record<string, unknown>): Session {
    const session: Session = { id: store.nextId('session'), kind, amount, currency, createdAt: now, expiresAt, usedBy: null, fields };
    store.sessions.set(session.id, session);
    return session;
  }

  const stamps = (session: Session) => ({
    status: 'ACTIVE',
    expires_at: iso(session.expiresAt),
    created_at: iso(session.createdAt),
    updated_at: iso(session.createdAt),
  });

  /** A client-chosen `expires_at` (transfer, refund): in the future, and capped by sessionTtlMs. */
  function clientExpiry(value: unknown, now: number): number | Reply {
    const at = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!(at > now)) return refuse(['body', 'expires_at'], 'expires_at must be in the future');
    return Math.min(at, now + config.sessionTtlMs);
  }

  function findSource(type: unknown, id: unknown): Source | undefined {
    const sourceId = toId(id);
    if (sourceId === undefined) return undefined;
    const kind = String(type).toUpperCase();
    return kind === 'INVOICE' ? store.invoices.get(sourceId) : kind === 'ORDER' ? store.orders.get(sourceId) : undefined;
  }

  function execute(kind: ExecutionKind, raw: unknown, now: number): Reply {
    const body = asRecord(raw);
    const referenceId = body.reference_id;
    if (!isReferenceId(referenceId)) return refuse(['body', 'reference_id'], 'reference_id must be a version-4 UUID');
    if (store.executions.has(refKey(referenceId))) return refuse(['body', 'reference_id'], 'reference_id already exists');

    if (!config.verified && (kind === 'payout' || kind === 'refund')) return forbidden('Merchant account is not fully verified');

    const sessionId = toId(body.session_id);
    const session = sessionId === undefined ? undefined : store.sessions.get(sessionId);
    if (!session) return refuse(['body', 'session_id'], 'session not found');
    if (session.kind !== kind) return refuse(['body', 'session_id'], `session ${session.id} is a ${session.kind} session, not a ${kind} session`);
    if (session.usedBy !== null) return refuse(['body', 'session_id'], `session ${session.id} has already been used`);
    if (now >= session.expiresAt) return refuse(['body', 'session_id'], `session ${session.id} has expired`);

    let source: Source | undefined;
    if (kind === 'payout') {
      if (toId(body.payout_account_id) !== session.fields.payout_account_id) {
        return refuse(['body', 'payout_account_id'], "payout_account_id does not match the session's payout account");
      }
      const token = asRecord(asRecord(body.passcode).token);
      if ((token.phone ?? null) === null && (token.user_id ?? null) === null) {
        return refuse(['body', 'passcode', 'token'], 'phone or user_id is required');
      }
      const phoneOk = token.phone === undefined || token.phone === null || token.phone === config.passcode.phone;
      if (token.code !== config.passcode.code || !phoneOk) return forbidden('Invalid passcode');
    } else if (kind === 'collection') {
      if (!store.accounts.has(toId(body.payment_account_id) ?? 0)) {
        return refuse(['body', 'payment_account_id'], 'payment account not found');
      }
      source = findSource(session.fields.source_type, session.fields.source_id);
      if (!source || sourceStatus(source, store, config, now).status !== 'ACTIVE') {
        return refuse(['body', 'session_id'], `the ${String(session.fields.source_type).toLowerCase()} of session ${session.id} is no longer payable`);
      }
    }

    const execution: Execution = {
      kind,
      referenceId,
      body,
      sessionId: session.id,
      amount: source ? sourceTotal(source) : session.amount,
      currency: source ? source.currency : session.currency,
      createdAt: now,
      providerTransactionId: `SBX-${randomBytes(6).toString('hex').toUpperCase()}`,
      source: source ? { type: source.type, id: source.id } : null,
    };
    store.executions.set(refKey(referenceId), execution);
    session.usedBy = referenceId;
    if (source) source.lastCollection = refKey(referenceId);
    return ok(executionResponse(execution, 'PENDING', store));
  }

  function status(kind: ExecutionKind, referenceId: unknown, now: number): Reply {
    const execution = store.executions.get(refKey(String(referenceId)));
    if (!execution || execution.kind !== kind) return notFound();
    return ok(executionResponse(execution, executionStatus(execution, store, config, now), store));
  }

  const handlers: Record<string, Handler> = {
    'POST /{version}/sessions/checkout': ({ body, now }) => {
      const { source_id, source_type } = asRecord(body);
      const type = String(source_type).toUpperCase();
      if (type !== 'INVOICE' && type !== 'ORDER') return refuse(['body', 'source_type'], 'source_type must be INVOICE or ORDER');
      const source = findSource(type, source_id);
      if (!source) return refuse(['body', 'source_id'], `${type.toLowerCase()} not found`);
      const state = sourceStatus(source, store, config, now).status;
      if (state !== 'ACTIVE') {
        const why = { IDLE: 'is not published', PROCESSING: 'has a payment in progress', PAID: 'is already paid' }[state];
        return refuse(['body', 'source_id'], `${type.toLowerCase()} ${source.id} ${why}`);
      }
      const session = newSession('collection', now, sourceTotal(source), source.currency, now + config.sessionTtlMs, {
        source_id: source.id,
        source_type: type,
      });
      return ok({ id: session.id, payment_account_id: null, source_id: source.id, source_type: type, ...stamps(session) });
    },

    'POST /{version}/sessions/payout': ({ body, now }) => {
      const { payout_account_id, amount, currency } = asRecord(body);
      const accountId = toId(payout_account_id);
      if (accountId === undefined || !store.accounts.has(accountId)) return refuse(['body', 'payout_account_id'], 'payment account not found');
      if (!isCurrency(currency)) return refuse(['body', 'currency'], 'currency must be an upper-case ISO 4217 code');
      const session = newSession('payout', now, Number(amount), String(currency), now + config.sessionTtlMs, {
        payout_account_id: accountId,
      });
      return ok({
        id: session.id,
        wallet_id: config.merchant.walletId,
        payout_account_id: accountId,
        amount: session.amount,
        currency: session.currency,
        ...stamps(session),
      });
    },

    'POST /{version}/sessions/transfer': ({ body, now }) => {
      const { from_wallet_id, to_counterparty_id, amount, currency, expires_at } = asRecord(body);
      if (toId(from_wallet_id) !== config.merchant.walletId) return refuse(['body', 'from_wallet_id'], 'wallet not found');
      const counterpartyId = toId(to_counterparty_id);
      if (counterpartyId === undefined || !store.counterparties.has(counterpartyId)) {
        return refuse(['body', 'to_counterparty_id'], 'counterparty not found');
      }
      if (!isCurrency(currency)) return refuse(['body', 'currency'], 'currency must be an upper-case ISO 4217 code');
      const expiresAt = clientExpiry(expires_at, now);
      if (typeof expiresAt !== 'number') return expiresAt;
      const session = newSession('transfer', now, Number(amount), String(currency), expiresAt, {
        from_wallet_id,
        to_counterparty_id: counterpartyId,
      });
      return ok({
        id: session.id,
        from_wallet_id,
        to_counterparty_id: counterpartyId,
        amount: session.amount,
        currency: session.currency,
        ...stamps(session),
      });
    },

    // RefundSessionResponse has no known fields; the id is what a refund execution needs.
    'POST /{version}/sessions/refund': ({ body, now }) => {
      const { original_payment_intent_id, amount, reason, expires_at } = asRecord(body);
      const expiresAt = clientExpiry(expires_at, now);
      if (typeof expiresAt !== 'number') return expiresAt;
      const session = newSession('refund', now, Number(amount), DEFAULT_CURRENCY, expiresAt, { original_payment_intent_id });
      return ok({
        id: session.id,
        original_payment_intent_id,
        amount: session.amount,
        currency: session.currency,
        reason: reason ?? null,
        ...stamps(session),
      });
    },

    'POST /{version}/realtime-keys/collection': ({ body }) => {
      const session = store.sessions.get(toId(asRecord(body).session_id) ?? 0);
      if (!session || session.kind !== 'collection') return refuse(['body', 'session_id'], 'checkout session not found');
      return ok({ access_token: `rt_${randomBytes(24).toString('base64url')}`, expires_in: 60 });
    },
  };
  for (const kind of EXECUTION_KINDS) {
    handlers[`POST /{version}/executions/${kind}`] = ({ body, now }) => execute(kind, body, now);
    handlers[`GET /{version}/status/${kind}/{reference_id}`] = ({ path, now }) => status(kind, path.reference_id, now);
  }
  return handlers;
}
