/**
 * Batch rows: what a payout row is and the rules it must meet, checked before anything is
 * sent. Pure: CSV text in, rows or `line N: <problem>` out (the header is line 1). A file with
 * any bad row is refused whole.
 */
import { parseCsv, CsvSyntaxError } from './csv.js';
import { isCurrency } from '../core/currencies.js';

/** The recipient: an existing payout account, or a phone (+ name) to create one for. */
export type Recipient =
  | {
      /** An existing PAYOUT payment account at Dollr. */
      payoutAccountId: string;
    }
  | {
      /** 8 to 15 digits, no `+` or spaces. */
      phone: string;
      /** The recipient's name, for the party and the account. */
      name: string;
      /** Dollr's provider name (`MTN_MOMO_LBR`); when absent, detected from the phone. */
      provider?: string;
    };

/** One payout: who gets how much. Build it with `readBatchCsv` or `checkRows`, which enforce the rules. */
export interface PayoutRow {
  /** The merchant's own id, unique within the batch. */
  rowId: string;
  /** Positive decimal string as written (no float rounding before Dollr sees it). */
  amount: string;
  /** Three upper-case letters of ISO 4217, e.g. `USD`. */
  currency: string;
  /** Who is paid. */
  recipient: Recipient;
  /** The merchant's note: kept in the store, not sent. */
  note?: string;
  /** File line (1-based; header is 1), or the position for rows built in code. */
  line: number;
}

/** A bad row; printed as `line N: <problem>`. */
export interface RowProblem {
  /** File line, 1-based, the header being line 1. */
  line: number;
  /** What is wrong, naming the field. */
  problem: string;
}

/** A row's fields by column name (`row_id`, `amount`, `currency`, `payout_account_id`, `phone`, `name`, `provider`, `note`). */
export interface RowCandidate {
  /** Field values by column name; missing or blank fields count as absent. */
  fields: Partial<Record<string, string>>;
  /** Its line (or position), used in problems. */
  line: number;
}

/** Checked rows: the good ones, and every problem; refuse the batch if there is any problem. */
export interface CheckedRows {
  /** The rows that met every rule. */
  rows: PayoutRow[];
  /** Every bad row, sorted by line. */
  problems: RowProblem[];
}

/** The columns a batch file may have. */
export const COLUMNS = ['row_id', 'amount', 'currency', 'payout_account_id', 'phone', 'name', 'provider', 'note'] as const;

const AMOUNT = /^(?:\d+(?:\.\d+)?|\.\d+)$/;
const PHONE = /^\d{8,15}$/;
const ACCOUNT_ID = /^\d+$/;
const PROVIDER = /^[A-Z][A-Z0-9_]*$/;

/** `line N: <problem>`. */
export const formatProblem = ({ line, problem }: RowProblem): string => `line ${line}: ${problem}`;

/** A phone as Dollr takes it: a leading `+` and spaces dropped; undefined unless 8 to 15 digits remain. */
export function normalizePhone(raw: string): string | undefined {
  const digits = raw.trim().replace(/^\+/, '').replace(/ /g, '');
  return PHONE.test(digits) ? digits : undefined;
}

/** One row's fields (by column name) to a PayoutRow, or the problems with it. */
export function checkRow(fields: Partial<Record<string, string>>, line: number): PayoutRow | RowProblem[] {
  const get = (name: string): string => (fields[name] ?? '').trim();
  const problems: string[] = [];
  const rowId = get('row_id');
  if (rowId === '') problems.push('row_id is missing');
  const amount = get('amount');
  if (amount === '') problems.push('amount is missing');
  else if (!AMOUNT.test(amount)) problems.push(`amount "${amount}" is not a decimal number`);
  else if (!/[1-9]/.test(amount)) problems.push(`amount "${amount}" is not positive`);
  const currency = get('currency');
  if (currency === '') problems.push('currency is missing');
  else if (!/^[A-Z]{3}$/.test(currency)) problems.push(`currency "${currency}" is not three upper-case letters of ISO 4217`);
  else if (!isCurrency(currency)) problems.push(`currency "${currency}" is not an ISO 4217 code`);

  let recipient: Recipient | undefined;
  const accountId = get('payout_account_id');
  const rawPhone = get('phone');
  const name = get('name');
  const provider = get('provider');
  if (accountId !== '') {
    if (rawPhone !== '') problems.push('give payout_account_id or phone, not both');
    else if (!ACCOUNT_ID.test(accountId)) problems.push(`payout_account_id "${accountId}" is not a number`);
    else recipient = { payoutAccountId: accountId };
  } else if (rawPhone !== '') {
    const phone = normalizePhone(rawPhone);
    if (phone === undefined) problems.push(`phone "${rawPhone}" is not 8 to 15 digits (a leading + and spaces allowed)`);
    if (name === '') problems.push('name is missing (a phone row needs phone and name)');
    if (provider !== '' && !PROVIDER.test(provider)) problems.push(`provider "${provider}" is not a Dollr provider name (e.g. MTN_MOMO_LBR)`);
    if (phone !== undefined && name !== '') recipient = { phone, name, ...(provider === '' ? {} : { provider }) };
  } else {
    problems.push('no recipient: give payout_account_id, or phone and name');
  }
  if (problems.length > 0 || recipient === undefined) return problems.map((problem) => ({ line, problem }));
  const note = get('note');
  return { rowId, amount, currency, recipient, line, ...(note === '' ? {} : { note }) };
}

/** Rows of a whole batch: duplicates of a row_id are problems on every line after the first. */
export function checkRows(candidates: RowCandidate[]): CheckedRows {
  const rows: PayoutRow[] = [];
  const problems: RowProblem[] = [];
  const firstLine = new Map<string, number>();
  for (const { fields, line } of candidates) {
    const result = checkRow(fields, line);
    const rowId = (fields.row_id ?? '').trim();
    if (rowId !== '') {
      const first = firstLine.get(rowId);
      if (first !== undefined) problems.push({ line, problem: `row_id "${rowId}" is a duplicate of line ${first}` });
      else firstLine.set(rowId, line);
    }
    if (Array.isArray(result)) problems.push(...result);
    else if (firstLine.get(result.rowId) === line) rows.push(result);
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems };
}

/** A CSV file's text to rows, or every problem in it, each with its line. */
export function readBatchCsv(text: string): CheckedRows {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return { rows: [], problems: [{ line: error.line, problem: error.message.replace(/^line \d+: /, '') }] };
    throw error;
  }
  const [header, ...body] = records;
  if (header === undefined) return { rows: [], problems: [{ line: 1, problem: 'the file is empty: expected a header row' }] };
  const names = header.fields.map((name) => name.trim().toLowerCase());
  const headerProblems: RowProblem[] = [];
  for (const required of ['row_id', 'amount', 'currency']) {
    if (!names.includes(required)) headerProblems.push({ line: header.line, problem: `the header has no ${required} column` });
  }
  const unknown = names.filter((name) => !(COLUMNS as readonly string[]).includes(name));
  if (unknown.length > 0) headerProblems.push({ line: header.line, problem: `unknown column(s) ${unknown.join(', ')}; expected ${COLUMNS.join(', ')}` });
  if (headerProblems.length > 0) return { rows: [], problems: headerProblems };
  if (body.length === 0) return { rows: [], problems: [{ line: 2, problem: 'no rows after the header' }] };
  const candidates = [];
  const problems: RowProblem[] = [];
  for (const record of body) {
    if (record.fields.length !== names.length) {
      problems.push({ line: record.line, problem: `${record.fields.length} fields, the header has ${names.length}` });
      continue;
    }
    candidates.push({ line: record.line, fields: Object.fromEntries(names.map((name, i) => [name, record.fields[i]!])) });
  }
  const checked = checkRows(candidates);
  return { rows: checked.rows, problems: [...problems, ...checked.problems].sort((a, b) => a.line - b.line) };
}

/** What may not change for a known row_id on a rerun: amount, currency, recipient. */
export function rowFingerprint(row: PayoutRow): string {
  const r = row.recipient;
  const who = 'payoutAccountId' in r ? `account:${r.payoutAccountId}` : `phone:${r.phone}|${r.name}|${r.provider ?? ''}`;
  return `${row.amount}|${row.currency}|${who}`;
}
