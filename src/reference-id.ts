/** reference_id: the idempotency key of an execution. Mint it once per logical payout. */
import { v4, validate, version } from 'uuid';

/** A new version-4 UUID. Store it before sending, and reuse it for every retry of that payout. */
export function newReferenceId(): string {
  return v4();
}

/** True only for a version-4 UUID string (nil, max and other versions are false). */
export function isReferenceId(value: unknown): value is string {
  return typeof value === 'string' && validate(value) && version(value) === 4;
}
