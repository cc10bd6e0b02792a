/** `createDollrClient()`: the core client (core/) with the money-movement helpers (helpers/) on top. */
import { createCore } from './core/client.js';
import type { CoreClient, DollrClientOptions } from './core/client.js';
import type { ExecutionResponse } from './core/types.js';
import { createExecutions } from './helpers/executions.js';
import type { Executions } from './helpers/executions.js';
import { createPayout } from './helpers/payout.js';
import type { PayoutInput, PayoutOptions } from './helpers/payout.js';

/** The openapi-fetch client with the API version bound (`/v1/...`), plus the execution helpers. */
export interface DollrClient extends CoreClient, Executions {
  /**
   * Executes a payout from camelCase input (ids may be numbers) and resolves to its
   * ExecutionResponse: `execute('payout', ...)` with the body built and checked for you.
   */
  payout(input: PayoutInput, options?: PayoutOptions): Promise<ExecutionResponse>;
}

export function createDollrClient(options: DollrClientOptions): DollrClient {
  const core = createCore(options);
  const executions = createExecutions(core);
  return { ...core.client, ...executions, payout: createPayout(executions) };
}
