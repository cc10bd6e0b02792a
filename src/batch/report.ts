/**
 * `report`: the batch as CSV, rows in file order. Pure. Fields that need it are quoted (RFC 4180)
 * so a message with a comma or a quote round-trips.
 */
import type { StoredRow } from './store.js';

export const REPORT_HEADER = ['row_id', 'reference_id', 'status', 'amount', 'currency', 'provider_transaction_id', 'message'] as const;

function field(value: string | null): string {
  const text = value ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toReportCsv(rows: readonly StoredRow[]): string {
  const lines = [REPORT_HEADER.join(',')];
  for (const row of [...rows].sort((a, b) => a.line - b.line)) {
    lines.push([row.rowId, row.referenceId, row.state, row.amount, row.currency, row.providerTransactionId, row.message].map(field).join(','));
  }
  return `${lines.join('\n')}\n`;
}
