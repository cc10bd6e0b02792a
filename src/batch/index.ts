/**
 * dollr-client/batch: pay many recipients from rows, crash-safe, on one machine (embedded
 * PGlite) or a fleet sharing Postgres. Node only. The CLI (`dollr-payouts`) is a thin layer over
 * these functions. Needs the optional peers @electric-sql/pglite (embedded) or pg (postgres://).
 * Exports only what a program needs: the machine, the store and the SQL helpers stay inside.
 */
export { runBatch, batchStatus, batchReport } from './runner.js';
export type { RunOptions, RunSummary, RowEvent, BatchPasscode, LoadedRow } from './runner.js';
export { readBatchCsv, checkRows } from './rows.js';
export type { PayoutRow, Recipient, RowProblem, RowCandidate, CheckedRows } from './rows.js';
export type { RowState } from './machine.js';
export { ChangedRowsError } from './store.js';
export { openSql } from './sql.js';
export type { Sql, Queryable } from './sql.js';
export { sqlTokenStore } from './token-store.js';
export type { SqlTokenStore, SqlTokenStoreOptions } from './token-store.js';
export { totalsByCurrency } from './totals.js';
export type { CurrencyTotal } from './totals.js';
