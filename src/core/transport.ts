/**
 * The transport's public face: its parts live in ./transport/ (attempt, auth-step, decide,
 * reconcile, and the loop in index.ts). Importers keep one stable path.
 */
export { checkBaseUrl, createTransport, LOOKUPS_PER_UNKNOWN_OUTCOME, MAX_BODY_BYTES } from './transport/index.js';
export type { CallRecord, FetchLike, PerCall, Send, TransportOptions } from './transport/index.js';
