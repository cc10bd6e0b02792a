/**
 * dollr-client/testing: run your integration against a stateful sandbox of the Dollr API
 * (startSandbox, also the dollr-sandbox command) or a real Prism mock or validation proxy of
 * the spec (startMockServer). Node-only (it spawns processes and opens sockets); the main
 * entry stays runtime-neutral.
 */
export { startMockServer } from './prism.js';
export type { MockServer, MockServerOptions } from './prism.js';
export { startSandbox } from './sandbox/index.js';
export type {
  Sandbox,
  SandboxOptions,
  SandboxCredentials,
  SandboxPasscode,
  SandboxFault,
  SandboxInjection,
  SandboxOutcome,
  SandboxExecution,
  SandboxPath,
  SandboxRequest,
  ExecutionKind,
  ExecutionStatus,
} from './sandbox/index.js';
