/**
 * The records a payment needs before it can happen: parties, counterparties, payment accounts,
 * invoices and orders (created IDLE, published ACTIVE, items add up to the total), and hosted
 * checkouts (a published invoice or order, its party and counterparty in one call). Anything
 * referred to must exist (422 on the field that names it); unknown ids in a path read 404.
 */
import { randomBytes } from 'node:crypto';
import { sourceStatus, sourceTotal } from './lifecycle.js';
import { asRecord, iso, notFound, ok, refuse, toId } from './reply.js';
import type { Handler, Reply, SandboxConfig } from './reply.js';
import type { Counterparty, Party, SandboxStore, Source, SourceType } from './store.js';

const LINK_BASE = 'https://sandbox.invalid';

export function sourceHandlers(store: SandboxStore, config: SandboxConfig): Record<string, Handler> {
  const party = (p: Party) => ({
    id: p.id,
    fullname: p.fullname,
    email: p.email,
    phone: p.phone,
    country_code: p.country_code,
    created_at: iso(p.createdAt),
    updated_at: iso(p.createdAt),
  });

  function createParty(fields: Record<string, unknown>, now: number): Party {
    const p: Party = {
      id: store.nextId('party'),
      fullname: String(fields.fullname ?? 'Customer'),
      phone: typeof fields.phone === 'string' ? fields.phone : null,
      email: typeof fields.email === 'string' ? fields.email : null,
      country_code: typeof fields.country_code === 'string' ? fields.country_code : null,
      createdAt: now,
    };
    store.parties.set(p.id, p);
    return p;
  }

  function createCounterparty(relationship: string, partyId: number | null, now: number): Counterparty {
    const c: Counterparty = { id: store.nextId('counterparty'), relationship_type: relationship, party_id: partyId, createdAt: now, updatedAt: now };
    store.counterparties.set(c.id, c);
    return c;
  }

  const counterpartyWithParty = (c: Counterparty) => {
    const p = c.party_id === null ? undefined : store.parties.get(c.party_id);
    return {
      id: c.id,
      owner_party_type: config.merchant.type,
      owner_party_id: config.merchant.id,
      relationship_type: c.relationship_type,
      created_at: iso(c.createdAt),
      updated_at: iso(c.updatedAt),
      ...(p ? { party: party(p) } : {}),
    };
  };

  const sources = (type: SourceType) => (type === 'INVOICE' ? store.invoices : store.orders);

  function createSource(type: SourceType, fields: Record<string, unknown>, now: number): Source | Reply {
    const counterpartyId = toId(fields.counterparty_id);
    if (counterpartyId === undefined || !store.counterparties.has(counterpartyId)) {
      return refuse(['body', 'counterparty_id'], 'counterparty not found');
    }
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

  const one = <T>(found: T | undefined, view: (value: T) => unknown, what: string): Reply =>
    found === undefined ? notFound(`${what} not found`) : ok(view(found));

  return {
    'POST /{version}/parties/create': ({ body, now }) => ok(party(createParty(asRecord(body), now))),
    'GET /{version}/parties/list': ({ query }) => {
      const needle = typeof query.fullname === 'string' ? query.fullname.toLowerCase() : '';
      return ok([...store.parties.values()].filter((p) => p.fullname.toLowerCase().includes(needle)).map(party));
    },
    'GET /{version}/parties/retrieve/{id}': ({ path }) => one(store.parties.get(toId(path.id) ?? 0), party, 'Party'),

    'POST /{version}/counterparties/create': ({ body, now }) => {
      const { relationship_type, party_id } = asRecord(body);
      const partyId = party_id == null ? null : toId(party_id);
      if (partyId === undefined || (partyId !== null && !store.parties.has(partyId))) return refuse(['body', 'party_id'], 'party not found');
      const c = createCounterparty(String(relationship_type), partyId, now);
      return ok({ id: c.id, relationship_type: c.relationship_type, ...(partyId === null ? {} : { party_id: partyId }), created_at: iso(now), updated_at: iso(now) });
    },
    'GET /{version}/counterparties/list': ({ query }) => {
      const needle = typeof query.fullname === 'string' ? query.fullname.toLowerCase() : '';
      return ok(
        [...store.counterparties.values()]
          .filter((c) => query.relationship_type == null || c.relationship_type === query.relationship_type)
          .filter((c) => !needle || (store.parties.get(c.party_id ?? 0)?.fullname.toLowerCase().includes(needle) ?? false))
          .map(counterpartyWithParty),
      );
    },
    'GET /{version}/counterparties/retrieve/{id}': ({ path }) =>
      one(store.counterparties.get(toId(path.id) ?? 0), counterpartyWithParty, 'Counterparty'),
    'PUT /{version}/counterparties/update/{id}': ({ path, body, now }) => {
      const c = store.counterparties.get(toId(path.id) ?? 0);
      if (!c) return notFound('Counterparty not found');
      const { relationship_type, party_id } = asRecord(body);
      if (party_id != null && !store.parties.has(toId(party_id) ?? 0)) return refuse(['body', 'party_id'], 'party not found');
      if (typeof relationship_type === 'string') c.relationship_type = relationship_type;
      if (party_id != null) c.party_id = toId(party_id) ?? c.party_id;
      c.updatedAt = now;
      return ok(counterpartyWithParty(c));
    },

    'POST /{version}/payment-accounts/create': ({ body, query, now }) => {
      const fields = asRecord(body);
      const partyId = toId(fields.party_id);
      if (partyId === undefined || !store.parties.has(partyId)) return refuse(['body', 'party_id'], 'party not found');
      const account = {
        id: store.nextId('account'),
        account_name: String(fields.account_name),
        provider: String(fields.provider),
        method: String(fields.method),
        party_id: partyId,
        country_code: typeof fields.country_code === 'string' ? fields.country_code : null,
        operation_type: String(query.operation_type),
        createdAt: now,
      };
      store.accounts.set(account.id, account);
      const { createdAt: _created, operation_type: _type, ...view } = account;
      return ok({ ...view, is_active: true, created_at: iso(now), updated_at: iso(now) });
    },

    'POST /{version}/invoices/create': ({ body, now }) => {
      const s = createSource('INVOICE', asRecord(body), now);
      return 'status' in s ? s : ok(sourceView(s, now));
    },
    'GET /{version}/invoices/list': ({ query, now }) => ok(list('INVOICE', query, now)),
    'PUT /{version}/invoices/publish/{id}': ({ path, now }) => publish('INVOICE', path.id, now),
    'POST /{version}/invoices/{invoice_id}/items/add': ({ path, body, now }) => addItem('INVOICE', path.invoice_id, body, now),
    'GET /{version}/invoices/retrieve/{id}': ({ path, now }) =>
      one(store.invoices.get(toId(path.id) ?? 0), (s) => detailView(s, now), 'Invoice'),
    'GET /{version}/invoices/receipt/{id}': ({ path, now }) =>
      one(store.invoices.get(toId(path.id) ?? 0), (s) => receiptView(s, now), 'Invoice'),
    'GET /{version}/invoices/receipt/number/{invoice_number}': ({ path, now }) =>
      one(byNumber('INVOICE', path.invoice_number), (s) => receiptView(s, now), 'Invoice'),

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
      one(store.orders.get(toId(path.id) ?? 0), (s) => detailView(s, now), 'Order'),
    'GET /{version}/orders/receipt/{id}': ({ path, now }) =>
      one(store.orders.get(toId(path.id) ?? 0), (s) => receiptView(s, now), 'Order'),
    'GET /{version}/orders/receipt/number/{order_number}': ({ path, now }) =>
      one(byNumber('ORDER', path.order_number), (s) => receiptView(s, now), 'Order'),

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
