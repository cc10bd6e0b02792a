/**
 * dollr-client: a typed client for the Dollr payments API.
 * Runtime-neutral (Node 20+, Bun, Deno, edge, bundlers): no `node:` imports anywhere below
 * this entry.
 */
export { createDollrClient } from './client.js';
export type { DollrClient } from './client.js';
export { DEFAULT_BASE_URL } from './core/client.js';
export type { DollrClientOptions } from './core/client.js';
export type { DollrAuth, ClientCredentials } from './core/auth.js';
export { memoryTokenStore } from './core/token-store.js';
export type { TokenStore, SharedToken } from './core/token-store.js';
export type { LogLevel, Logger } from './core/log.js';
export type { BackoffOptions } from './core/retry.js';
export type { FetchLike } from './core/transport.js';
export type { PayoutInput } from './helpers/payout.js';
export { isFinalStatus } from './helpers/executions.js';
export type { ExecutionBody, RequestOptions, WaitOptions } from './helpers/executions.js';
export { createPasscode, serverDevice } from './helpers/passcode.js';
export type { CreatePasscodeOptions, ServerDeviceOptions } from './helpers/passcode.js';
export { newReferenceId, isReferenceId } from './helpers/reference-id.js';
export {
  DollrError,
  DollrApiError,
  DollrInputError,
  DollrConnectionError,
  DollrTimeoutError,
  DollrWaitTimeoutError,
} from './core/errors.js';
export type {
  paths,
  components,
  ApiVersion,
  BoundPaths,
  DollrPaths,
  HttpMethod,
  PathsFor,
  Operation,
  RequestBody,
  ResponseData,
  PathParams,
  QueryParams,
  PayoutRequest,
  ExecutionResponse,
  Execution,
  ExecutionKind,
  ExecutionStatus,
  Passcode,
  Device,
  ValidationIssue,
} from './core/types.js';
export { VERSION } from './core/version.js';
