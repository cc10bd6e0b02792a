/** reference_id: the idempotency key of an execution. Mint it once per logical attempt. */
export { isReferenceId } from '../core/guards.js';

/** A new version-4 UUID. Store it before sending, and reuse it for every retry of that execution. */
export function newReferenceId(): string {
  // Web Crypto is in Node 19+, Bun, Deno, workers and browsers; randomUUID only in secure contexts.
  const crypto = globalThis.crypto;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  // 8-4-4-4-12 hex digits.
  return hex.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}
