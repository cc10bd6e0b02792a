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
   * `GET` a `/v1/...` path: `client.GET('/v1/status/payout/{reference_id}', { params: { path: { reference_id } } })`.
   * Resolves to openapi-fetch's `{ data, error, response }`, typed from the spec; the init also takes
   * `timeoutMs` and `maxRetries` for this call (defaults: the client's).
   */
  GET: CoreClient['GET'];
  /**
   * `POST` to a `/v1/...` path: `client.POST('/v1/sessions/payout', { body })`. An execution is
   * checked (reference_id, passcode) before it is sent and follows Dollr's recovery rule.
   * Per-call `timeoutMs` and `maxRetries` as for GET.
   */
  POST: CoreClient['POST'];
  /** `PUT` to a `/v1/...` path, e.g. `/v1/invoices/publish/{id}`. Per-call options as for GET. */
  PUT: CoreClient['PUT'];
  /** `DELETE` on a `/v1/...` path (the spec declares none today). Per-call options as for GET. */
  DELETE: CoreClient['DELETE'];
  /** `OPTIONS` on a `/v1/...` path (the spec declares none today). */
  OPTIONS: CoreClient['OPTIONS'];
  /** `HEAD` on a `/v1/...` path (the spec declares none today). */
  HEAD: CoreClient['HEAD'];
  /** `PATCH` on a `/v1/...` path (the spec declares none today). */
  PATCH: CoreClient['PATCH'];
  /** `TRACE` on a `/v1/...` path (the spec declares none today). */
  TRACE: CoreClient['TRACE'];
  /**
   * openapi-fetch's `request(method, path, init)`, with the method written `'post'` or `'POST'`:
   * `client.request('POST', '/v1/sessions/payout', { body })`. Per-call options as for GET.
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
