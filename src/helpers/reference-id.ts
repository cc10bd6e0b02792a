/** reference_id: the idempotency key of an execution. Mint it once per logical attempt. */
import { v4 } from 'uuid';

export { isReferenceId } from '../core/guards.js';

/** A new version-4 UUID. Store it before sending, and reuse it for every retry of that execution. */
export function newReferenceId(): string {
  return v4();
}
