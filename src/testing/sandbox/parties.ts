/**
 * Who money moves between: parties, their counterparty links to the merchant, and their payment
 * accounts (created for an `operation_type`). A counterparty or account must name a party that
 * exists (422 on `body.party_id`); unknown ids in a path read 404.
 */
import { asRecord, iso, notFound, ok, okOrNotFound, refuse, toId } from './reply.js';
import type { Handler, SandboxConfig } from './reply.js';
import type { Counterparty, Party, SandboxStore } from './store.js';

export interface PartyRecords {
  handlers: Record<string, Handler>;
  createParty(fields: Record<string, unknown>, now: number): Party;
  createCounterparty(relationship: string, partyId: number | null, now: number): Counterparty;
  /** CounterPartyWithPartyResponse. */
  counterpartyView(counterparty: Counterparty): Record<string, unknown>;
}

export function partyRecords(store: SandboxStore, config: SandboxConfig): PartyRecords {
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

  const counterpartyWithParty = (c: Counterparty): Record<string, unknown> => {
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

  const handlers: Record<string, Handler> = {
    'POST /{version}/parties/create': ({ body, now }) => ok(party(createParty(asRecord(body), now))),
    'GET /{version}/parties/list': ({ query }) => {
      const needle = typeof query.fullname === 'string' ? query.fullname.toLowerCase() : '';
      return ok([...store.parties.values()].filter((p) => p.fullname.toLowerCase().includes(needle)).map(party));
    },
    'GET /{version}/parties/retrieve/{id}': ({ path }) => okOrNotFound(store.parties.get(toId(path.id) ?? 0), party, 'Party'),

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
      okOrNotFound(store.counterparties.get(toId(path.id) ?? 0), counterpartyWithParty, 'Counterparty'),
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

  };
  return { handlers, createParty, createCounterparty, counterpartyView: counterpartyWithParty };
}
