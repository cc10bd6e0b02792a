/**
 * What a collection pays: invoices and orders (created IDLE, published ACTIVE, items add up to
 * the total, status from the latest collection) and hosted checkouts (a published invoice or
 * order with its party and counterparty, in one call), plus their status and links. Anything
 * referred to must exist (422 on the field that names it); unknown ids in a path read 404.
 */
import { isCurrency } from '../../core/currencies.js';
import { randomBytes } from 'node:crypto';
import { sourceStatus, sourceTotal } from './lifecycle.js';
import { asRecord, iso, notFound, ok, okOrNotFound, refuse, toId } from './reply.js';
import type { Handler, Reply, SandboxConfig } from './reply.js';
import type { PartyRecords } from './parties.js';
import type { Counterparty, SandboxStore, Source, SourceType } from './store.js';

const LINK_BASE = 'https://sandbox.invalid';
// Per invoice or order: bounded memory, like every other record.
const MAX_ITEMS = 1_000;

export function sourceHandlers(store: SandboxStore, config: SandboxConfig, parties: PartyRecords): Record<string, Handler> {
  const { createParty, createCounterparty, counterpartyView: counterpartyWithParty } = parties;
  const sources = (type: SourceType) => (type === 'INVOICE' ? store.invoices : store.orders);

  function createSource(type: SourceType, fields: Record<string, unknown>, now: number): Source | Reply {
    const counterpartyId = toId(fields.counterparty_id);
    if (counterpartyId === undefined || !store.counterparties.has(counterpartyId)) {
      return refuse(['body', 'counterparty_id'], 'counterparty not found');
    }
    if (!isCurrency(fields.currency)) return refuse(['body', 'currency'], 'currency must be an upper-case ISO 4217 code');
    const id = store.nextId(type);
    const source: Source = {
      type,
      id,
      number: `${type === 'INVOICE' ? 'INV' : 'ORD'}-${new Date(now).getUTCFullYear()}-${String(id).padStart(5, '0')}`,
      counterparty_id: counterpartyId,
      currency: String(fields.currency),
      note: typeof fields.note === 'string' ? fields.note : '',
      fee_bearer: typeof fields.fee_bearer === 'string' ? fields.fee_bearer : 'PAYER',
      as_payment_link: fields.as_payment_link === true,
      reference_id: typeof fields.reference_id === 'string' ? fields.reference_id : null,
      due_date: typeof fields.due_date === 'string' ? fields.due_date : null,
      items: [],
      publishedAt: null,
      lastCollection: null,
      createdAt: now,
      updatedAt: now,
    };
    sources(type).set(id, source);
    return source;
  }

  const item = (i: Source['items'][number]) => ({
    id: i.id,
    name: i.name,
    currency: i.currency,
    qty: i.qty,
    amount: i.amount,
    created_at: iso(i.createdAt),
    updated_at: iso(i.createdAt),
  });

  /** InvoiceResponse; orders use the same fields with `order_number`. */
  function sourceView(s: Source, now: number) {
    const state = sourceStatus(s, store, config, now);
    return {
      id: s.id,
      reference_id: s.reference_id,
      [s.type === 'INVOICE' ? 'invoice_number' : 'order_number']: s.number,
      counterparty_id: s.counterparty_id,
      currency: s.currency,
      total_amount: sourceTotal(s),
      status: state.status,
      note: s.note,
      fee_bearer: s.fee_bearer,
      due_date: s.due_date,
      as_payment_link: s.as_payment_link,
      owner_id: config.merchant.id,
      owner_type: config.merchant.type,
      created_at: iso(s.createdAt),
      updated_at: iso(s.updatedAt),
      paid_at: state.paidAt,
    };
  }

  function detailView(s: Source, now: number) {
    const c = store.counterparties.get(s.counterparty_id);
    return {
      ...sourceView(s, now),
      [s.type === 'INVOICE' ? 'invoice_items' : 'order_items']: s.items.map(item),
      ...(c ? { counterparty: counterpartyWithParty(c) } : {}),
    };
  }

  function receiptView(s: Source, now: number) {
    const state = sourceStatus(s, store, config, now);
    const c = store.counterparties.get(s.counterparty_id);
    const p = c?.party_id == null ? undefined : store.parties.get(c.party_id);
    const paid = s.lastCollection ? store.executions.get(s.lastCollection) : undefined;
    const total = sourceTotal(s);
    const isPaid = state.status === 'PAID' && paid !== undefined;
    return {
      [s.type === 'INVOICE' ? 'invoice_id' : 'order_id']: s.id,
      [s.type === 'INVOICE' ? 'invoice_number' : 'order_number']: s.number,
      reference_id: s.reference_id,
      currency: s.currency,
      total_amount: total,
      status: state.status,
      note: s.note,
      due_date: s.due_date,
      as_payment_link: s.as_payment_link,
      fee_bearer: s.fee_bearer,
      owner_id: config.merchant.id,
      owner_type: config.merchant.type,
      created_at: iso(s.createdAt),
      paid_at: state.paidAt,
      counterparty_id: s.counterparty_id,
      relationship_type: c?.relationship_type ?? 'CUSTOMER',
      counterparty_name: p?.fullname ?? '',
      counterparty_phone: p?.phone ?? '',
      counterparty_email: p?.email ?? null,
      payer_amount: isPaid && total >= 0.01 ? total : null,
      payer_currency: isPaid ? s.currency : null,
      payee_amount: isPaid && total >= 0.01 ? total : null,
      payee_currency: isPaid ? s.currency : null,
      provider_transaction_id: isPaid ? paid.providerTransactionId : null,
      gateway_confirmed_at: state.paidAt,
      items: s.items.filter((i) => i.amount >= 0.01).map((i) => ({ id: i.id, name: i.name, qty: i.qty, amount: i.amount, currency: i.currency })),
    };
  }

  function addItem(type: SourceType, idValue: unknown, body: unknown, now: number): Reply {
    const s = sources(type).get(toId(idValue) ?? 0);
    if (!s) return notFound(`${type === 'INVOICE' ? 'Invoice' : 'Order'} not found`);
    const { name, currency, qty, amount } = asRecord(body);
    if (currency !== s.currency) return refuse(['body', 'currency'], `currency must be the ${type.toLowerCase()}'s currency (${s.currency})`);
    const state = sourceStatus(s, store, config, now).status;
    if (state === 'PROCESSING' || state === 'PAID') return refuse(['path', type === 'INVOICE' ? 'invoice_id' : 'order_id'], `${type.toLowerCase()} ${s.id} can no longer change`);
    if (s.items.length >= MAX_ITEMS) return refuse(['path', type === 'INVOICE' ? 'invoice_id' : 'order_id'], `at most ${MAX_ITEMS} items`);
    const added = { id: store.nextId('item'), name: String(name), currency: s.currency, qty: Number(qty), amount: Number(amount), createdAt: now };
    s.items.push(added);
    s.updatedAt = now;
    return ok(item(added));
  }

  function publish(type: SourceType, idValue: unknown, now: number): Reply {
    const s = sources(type).get(toId(idValue) ?? 0);
    if (!s) return notFound(`${type === 'INVOICE' ? 'Invoice' : 'Order'} not found`);
    if (s.publishedAt === null) {
      s.publishedAt = now;
      s.updatedAt = now;
    }
    return ok(sourceView(s, now));
  }

  function byNumber(type: unknown, number: unknown): Source | undefined {
    const kind = String(type).toUpperCase();
    if (kind !== 'INVOICE' && kind !== 'ORDER') return undefined;
    for (const s of sources(kind).values()) if (s.number === number) return s;
    return undefined;
  }

  function list(type: SourceType, query: Record<string, unknown>, now: number) {
    return [...sources(type).values()]
      .map((s) => sourceView(s, now))
      .filter((v) => (query.currency == null || v.currency === query.currency) && (query.status == null || v.status === query.status));
  }

  return {
    'POST /{version}/invoices/create': ({ body, now }) => {
      const s = createSource('INVOICE', asRecord(body), now);
      return 'status' in s ? s : ok(sourceView(s, now));
    },
    'GET /{version}/invoices/list': ({ query, now }) => ok(list('INVOICE', query, now)),
    'PUT /{version}/invoices/publish/{id}': ({ path, now }) => publish('INVOICE', path.id, now),
    'POST /{version}/invoices/{invoice_id}/items/add': ({ path, body, now }) => addItem('INVOICE', path.invoice_id, body, now),
    'GET /{version}/invoices/retrieve/{id}': ({ path, now }) =>
      okOrNotFound(store.invoices.get(toId(path.id) ?? 0), (s) => detailView(s, now), 'Invoice'),
    'GET /{version}/invoices/receipt/{id}': ({ path, now }) =>
      okOrNotFound(store.invoices.get(toId(path.id) ?? 0), (s) => receiptView(s, now), 'Invoice'),
    'GET /{version}/invoices/receipt/number/{invoice_number}': ({ path, now }) =>
      okOrNotFound(byNumber('INVOICE', path.invoice_number), (s) => receiptView(s, now), 'Invoice'),

    'POST /{version}/orders/create': ({ body, now }) => {
      const s = createSource('ORDER', asRecord(body), now);
      if ('status' in s) return s;
      const { id, order_number, status, currency, note, fee_bearer, as_payment_link, counterparty_id, created_at, updated_at } =
        sourceView(s, now) as Record<string, unknown>;
      return ok({ id, order_number, status, currency, note, fee_bearer, as_payment_link, counterparty_id, created_at, updated_at });
    },
    'GET /{version}/orders/list': ({ query, now }) => ok(list('ORDER', query, now)),
    'PUT /{version}/orders/publish/{id}': ({ path, now }) => publish('ORDER', path.id, now),
    'POST /{version}/orders/{order_id}/items/add': ({ path, body, now }) => addItem('ORDER', path.order_id, body, now),
    'GET /{version}/orders/retrieve/{id}': ({ path, now }) =>
      okOrNotFound(store.orders.get(toId(path.id) ?? 0), (s) => detailView(s, now), 'Order'),
    'GET /{version}/orders/receipt/{id}': ({ path, now }) =>
      okOrNotFound(store.orders.get(toId(path.id) ?? 0), (s) => receiptView(s, now), 'Order'),
    'GET /{version}/orders/receipt/number/{order_number}': ({ path, now }) =>
      okOrNotFound(byNumber('ORDER', path.order_number), (s) => receiptView(s, now), 'Order'),

    // One call: party (unless counterparty_id is given), counterparty, a published invoice or order with its items.
    'POST /{version}/checkouts/create': ({ body, now }) => {
      const fields = asRecord(body);
      const kind = String(fields.source_kind).toUpperCase();
      if (kind !== 'INVOICE' && kind !== 'ORDER') return refuse(['body', 'source_kind'], 'source_kind must be INVOICE or ORDER');
      const items = (Array.isArray(fields.items) ? fields.items : []).map(asRecord);
      if (items.length === 0) return refuse(['body', 'items'], 'at least one item is required');
      const wrong = items.findIndex((i) => i.currency !== fields.currency);
      if (wrong !== -1) return refuse(['body', 'items', wrong, 'currency'], 'item currency must be the checkout currency');
      let counterparty: Counterparty | undefined;
      if (fields.counterparty_id != null) {
        counterparty = store.counterparties.get(toId(fields.counterparty_id) ?? 0);
        if (!counterparty) return refuse(['body', 'counterparty_id'], 'counterparty not found');
      } else {
        const p = createParty({ fullname: fields.party_name ?? 'Customer', phone: fields.party_phone, email: fields.party_email }, now);
        counterparty = createCounterparty(typeof fields.party_relationship === 'string' ? fields.party_relationship : 'CUSTOMER', p.id, now);
      }
      const s = createSource(kind, { ...fields, counterparty_id: counterparty.id, as_payment_link: true }, now);
      if ('status' in s) return s;
      for (const i of items) {
        s.items.push({ id: store.nextId('item'), name: String(i.name), currency: s.currency, qty: 1, amount: Number(i.amount), createdAt: now });
      }
      s.publishedAt = now;
      const token = randomBytes(12).toString('hex');
      return ok({
        mode: fields.mode,
        source_type: kind,
        source_id: s.id,
        source_number: s.number,
        source_status: sourceStatus(s, store, config, now).status,
        counterparty_id: counterparty.id,
        party_id: counterparty.party_id ?? 0,
        currency: s.currency,
        total_amount: sourceTotal(s),
        source_checkout_config_id: store.nextId('checkout-config'),
        url: `${LINK_BASE}/checkout/${token}`,
        reference_id: s.reference_id,
        due_date: s.due_date,
        expires_at: typeof fields.expires_at === 'string' ? fields.expires_at : null,
        hosted_path_or_token: token,
        success_url: fields.success_url ?? null,
        cancel_url: fields.cancel_url ?? null,
      });
    },

    'GET /{version}/status/source': ({ query, now }) => {
      const type = String(query.source_type);
      const s = type === 'INVOICE' ? store.invoices.get(Number(query.source_id)) : type === 'ORDER' ? store.orders.get(Number(query.source_id)) : undefined;
      if (!s) return notFound();
      const state = sourceStatus(s, store, config, now);
      return ok({ source_id: s.id, source_type: s.type, source_number: s.number, status: state.status, currency: s.currency, total_amount: sourceTotal(s), paid_at: state.paidAt });
    },
    'GET /{version}/links/pay': ({ query }) => {
      const s = byNumber(query.source_type, query.source_number);
      return s ? ok({ url: `${LINK_BASE}/pay/${s.number}` }) : notFound();
    },
    'GET /{version}/links/receipt': ({ query }) => {
      const s = byNumber(query.source_type, query.source_number);
      return s ? ok({ url: `${LINK_BASE}/receipt/${s.number}` }) : notFound();
    },
  };
}
