/**
 * Statuses are computed from timestamps when read, never advanced by timers: an execution is
 * PENDING, then PROCESSING from half of `settleAfterMs`, then COMPLETED (or what `setOutcome`
 * says) once `settleAfterMs` has passed. An invoice or order follows its latest collection:
 * IDLE until published, ACTIVE, PROCESSING while a collection is open, PAID once it completed
 * (a FAILED collection leaves it ACTIVE). Nothing is left running after close().
 */
import { iso } from './reply.js';
import type { SandboxConfig } from './reply.js';
import { refKey } from './store.js';
import type { Execution, SandboxStore, Source } from './store.js';
import type { ExecutionStatus } from './types.js';

export function executionStatus(execution: Execution, store: SandboxStore, config: SandboxConfig, now: number): ExecutionStatus {
  const elapsed = now - execution.createdAt;
  if (elapsed >= config.settleAfterMs) return store.outcomes.get(refKey(execution.referenceId))?.status ?? 'COMPLETED';
  return elapsed >= config.settleAfterMs / 2 ? 'PROCESSING' : 'PENDING';
}

/** The ExecutionResponse body for an execution in `status`, with the values it was created with. */
export function executionResponse(execution: Execution, status: ExecutionStatus, store: SandboxStore): Record<string, unknown> {
  const failed = status === 'FAILED';
  const message = store.outcomes.get(refKey(execution.referenceId))?.message;
  const isPayout = execution.kind === 'payout';
  return {
    reference_id: execution.referenceId,
    provider_transaction_id: status === 'COMPLETED' ? execution.providerTransactionId : null,
    status,
    payer_amount: execution.amount,
    payer_currency: execution.currency,
    payee_amount: execution.amount,
    payee_currency: execution.currency,
    operation_type: execution.kind.toUpperCase(),
    gateway_message:
      status === 'COMPLETED' ? 'Successful' : failed && !isPayout ? (message ?? 'Declined by the provider') : null,
    wallet_message: failed && isPayout ? (message ?? 'Insufficient balance in the merchant wallet') : null,
    client_secret: null,
    requires_action: false,
  };
}

export type SourceStatus = 'IDLE' | 'ACTIVE' | 'PROCESSING' | 'PAID';

export function sourceStatus(
  source: Source,
  store: SandboxStore,
  config: SandboxConfig,
  now: number,
): { status: SourceStatus; paidAt: string | null } {
  if (source.publishedAt === null) return { status: 'IDLE', paidAt: null };
  const collection = source.lastCollection ? store.executions.get(source.lastCollection) : undefined;
  if (!collection) return { status: 'ACTIVE', paidAt: null };
  const status = executionStatus(collection, store, config, now);
  if (status === 'COMPLETED') return { status: 'PAID', paidAt: iso(collection.createdAt + config.settleAfterMs) };
  return { status: status === 'FAILED' ? 'ACTIVE' : 'PROCESSING', paidAt: null };
}

export function sourceTotal(source: Source): number {
  return Math.round(source.items.reduce((sum, item) => sum + item.qty * item.amount, 0) * 100) / 100;
}
