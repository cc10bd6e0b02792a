/** reference_id: the idempotency key of an execution. Mint it once per logical payout. */
import { v4 } from 'uuid';

/** A version-4 UUID: version nibble 4, RFC 9562 variant (8, 9, a or b). */
const UUID_V4 = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/i;

/** A new version-4 UUID. Store it before sending, and reuse it for every retry of that payout. */
export function newReferenceId(): string {
  return v4();
}

/** True only for a version-4 UUID string (nil, max and other versions are false). */
export function isReferenceId(value: unknown): value is string {
  return typeof value === 'string' && UUID_V4.test(value);
}
