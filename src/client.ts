/** `createDollrClient()`: the core client (core/) with the money-movement helpers (helpers/) on top. */
import { createCore } from './core/client.js';
import type { CoreClient, DollrClientOptions } from './core/client.js';
import type { Execution } from './core/types.js';
import { createExecutions } from './helpers/executions.js';
import type { Executions, RequestOptions } from './helpers/executions.js';
import { createPayout } from './helpers/payout.js';
import type { PayoutInput } from './helpers/payout.js';

/**
 * What createDollrClient returns: openapi-fetch's client with the API version bound
 * (`GET`, `POST`, `PUT`, `request`, `use`, `eject` on `/v1/...` paths, typed from the spec),
 * plus the money-movement helpers `execute`, `getExecution`, `waitForExecution` and `payout`.
 */
export interface DollrClient extends CoreClient, Executions {
  /**
   * openapi-fetch's `request(method, path, init)`, with the method written `'post'` or `'POST'`:
   * `client.request('POST', '/v1/sessions/payout', { body })`.
   */
  request: CoreClient['request'];
  /**
   * Executes a payout from camelCase input (ids may be numbers) and resolves to its
   * Execution: `execute('payout', ...)` with the body built and checked for you. The one
   * method that does not take the API's field names; see PayoutInput for why.
   */
  payout(input: PayoutInput, options?: RequestOptions): Promise<Execution>;
}

/**
 * Creates a client. Checks every option before any request (a bad one throws
 * DollrInputError naming it); sends nothing until the first call.
 */

export function createDollrClient(options: DollrClientOptions): DollrClient {
  const core = createCore(options);
  const executions = createExecutions(core);
  return { ...core.client, ...executions, payout: createPayout(executions) };
}
