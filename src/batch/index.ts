/**
 * dollr-client/batch: pay many recipients from rows, crash-safe, on one machine (embedded
 * PGlite) or a fleet sharing Postgres. Node only. The CLI (`dollr-payouts`) is a thin layer over
 * `runBatch`. Needs the optional peers @electric-sql/pglite (embedded) or pg (postgres://).
 */
export { runBatch, openBatch, summarize } from './runner.js';
export type { RunOptions, RunSummary, RowEvent } from './runner.js';
export { readBatchCsv, checkRow, checkRows, formatProblem, normalizePhone, COLUMNS } from './rows.js';
export type { PayoutRow, Recipient, RowProblem } from './rows.js';
export { decide, apply, FINAL_STATES, END_STATES } from './machine.js';
export type { RowState, RowFacts, Step, Outcome, Budget } from './machine.js';
export { BatchStore, ChangedRowsError, MAX_LEASE_MS } from './store.js';
export type { StoredRow } from './store.js';
export { openSql, DEFAULT_DB } from './sql.js';
export type { Sql } from './sql.js';
export { sqlTokenStore, sharedPause } from './token-store.js';
export type { SqlTokenStoreOptions, SharedPause } from './token-store.js';
export { memoryTokenStore } from '../core/token-store.js';
export type { TokenStore, SharedToken } from '../core/token-store.js';
export { totalsByCurrency } from './totals.js';
export { toReportCsv } from './report.js';
export { isCurrency } from '../core/currencies.js';
