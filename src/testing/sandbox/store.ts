/**
 * Bounded state: every record kind lives in a map that evicts its oldest entry past the cap,
 * in records and in bytes (a record's JSON size when stored), so a long-running sandbox (a CI
 * job, a load test) cannot grow without limit however large the bodies it is sent. Evicted
 * records are simply unknown afterwards (a status lookup of an evicted execution reads 404).
 * Reference ids are UUIDs, so they are keyed in lower case: `ABC...` and `abc...` are one id.
 */
import type { ExecutionKind, SandboxOutcome, SandboxRequest } from './types.js';

/** Bytes a kind of record may hold before its oldest are evicted. */
export const MAX_BYTES_PER_KIND = 32 * 1024 * 1024;

/** The key a reference id is stored under: UUIDs compare case-insensitively. */
export const refKey = (referenceId: string): string => referenceId.toLowerCase();

function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return 0;
  }
}

/** A Map that keeps at most `cap` entries and about `maxBytes` of them, dropping the oldest inserted. */
export class BoundedMap<K, V> extends Map<K, V> {
  private readonly sizes = new Map<K, number>();
  private bytes = 0;

  constructor(
    private readonly cap: number,
    private readonly maxBytes = MAX_BYTES_PER_KIND,
  ) {
    super();
  }

  override set(key: K, value: V): this {
    const size = jsonBytes(key) + jsonBytes(value);
    this.forget(key);
    while (this.size > 0 && (this.size >= this.cap || this.bytes + size > this.maxBytes)) {
      const oldest = this.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
    this.sizes.set(key, size);
    this.bytes += size;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.forget(key);
    return super.delete(key);
  }

  override clear(): void {
    this.sizes.clear();
    this.bytes = 0;
    super.clear();
  }

  private forget(key: K): void {
    this.bytes -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }
}

export interface Party {
  id: number;
  fullname: string;
  phone: string | null;
  email: string | null;
  country_code: string | null;
  createdAt: number;
}

export interface Counterparty {
  id: number;
  relationship_type: string;
  party_id: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface PaymentAccount {
  id: number;
  account_name: string;
  provider: string;
  method: string;
  party_id: number;
  country_code: string | null;
  operation_type: string;
  createdAt: number;
}

export type SourceType = 'INVOICE' | 'ORDER';

export interface SourceItem {
  id: number;
  name: string;
  currency: string;
  qty: number;
  amount: number;
  createdAt: number;
}

/** An invoice or an order: both follow IDLE -> ACTIVE -> PROCESSING -> PAID. */
export interface Source {
  type: SourceType;
  id: number;
  number: string;
  counterparty_id: number;
  currency: string;
  note: string;
  fee_bearer: string;
  as_payment_link: boolean;
  reference_id: string | null;
  due_date: string | null;
  items: SourceItem[];
  publishedAt: number | null;
  /** The latest collection executed against it; its status drives PROCESSING/PAID. */
  lastCollection: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Session {
  id: number;
  kind: ExecutionKind;
  amount: number;
  currency: string;
  createdAt: number;
  expiresAt: number;
  /** The reference id of the execution that used it. */
  usedBy: string | null;
  /** Kind-specific request fields (payout_account_id, source, counterparty, ...). */
  fields: Record<string, unknown>;
}

export interface Execution {
  kind: ExecutionKind;
  referenceId: string;
  body: Record<string, unknown>;
  sessionId: number;
  amount: number;
  currency: string;
  createdAt: number;
  providerTransactionId: string;
  source: { type: SourceType; id: number } | null;
}

export class SandboxStore {
  readonly tokens: BoundedMap<string, number>;
  readonly parties: BoundedMap<number, Party>;
  readonly counterparties: BoundedMap<number, Counterparty>;
  readonly accounts: BoundedMap<number, PaymentAccount>;
  readonly invoices: BoundedMap<number, Source>;
  readonly orders: BoundedMap<number, Source>;
  readonly sessions: BoundedMap<number, Session>;
  readonly executions: BoundedMap<string, Execution>;
  readonly sends: BoundedMap<string, number>;
  readonly outcomes: BoundedMap<string, SandboxOutcome>;
  /** The request log, keyed by arrival order. */
  readonly requests: BoundedMap<number, SandboxRequest>;
  private sequences = new Map<string, number>();

  constructor(readonly cap: number) {
    this.tokens = new BoundedMap(cap);
    this.parties = new BoundedMap(cap);
    this.counterparties = new BoundedMap(cap);
    this.accounts = new BoundedMap(cap);
    this.invoices = new BoundedMap(cap);
    this.orders = new BoundedMap(cap);
    this.sessions = new BoundedMap(cap);
    this.executions = new BoundedMap(cap);
    this.sends = new BoundedMap(cap);
    this.outcomes = new BoundedMap(cap);
    this.requests = new BoundedMap(cap);
  }

  /** Next id of a sequence; ids never repeat within a run, even after eviction or reset. */
  nextId(sequence: string): number {
    const id = (this.sequences.get(sequence) ?? 0) + 1;
    this.sequences.set(sequence, id);
    return id;
  }

  countSend(referenceId: string): void {
    const key = refKey(referenceId);
    this.sends.set(key, (this.sends.get(key) ?? 0) + 1);
  }

  clear(): void {
    for (const map of [
      this.tokens, this.parties, this.counterparties, this.accounts, this.invoices, this.orders,
      this.sessions, this.executions, this.sends, this.outcomes, this.requests,
    ] as Map<unknown, unknown>[]) {
      map.clear();
    }
  }
}
