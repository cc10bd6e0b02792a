/**
 * dollr-client: a typed client for the Dollr payments API.
 * Runtime-neutral (Node 20+, Bun, Deno, edge, bundlers): no `node:` imports anywhere in src/.
 */
export { createDollrClient, DEFAULT_BASE_URL } from './client.js';
export type { DollrClient, DollrClientOptions } from './client.js';
export type { DollrAuth, ClientCredentials } from './auth.js';
export type { BackoffOptions } from './retry.js';
export type { FetchLike } from './transport.js';
export type { PayoutInput, PayoutOptions } from './payout.js';
export { createPasscode, serverDevice } from './passcode.js';
export type { CreatePasscodeOptions, ServerDeviceOptions } from './passcode.js';
export { newReferenceId, isReferenceId } from './reference-id.js';
export { DollrError, DollrApiError, DollrInputError, DollrConnectionError, DollrTimeoutError } from './errors.js';
export type {
  paths,
  components,
  ApiVersion,
  BoundPaths,
  DollrPaths,
  PayoutRequest,
  ExecutionResponse,
  Passcode,
  Device,
  ValidationIssue,
} from './types.js';
export { VERSION } from './version.js';
