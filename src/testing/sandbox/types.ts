/**
 * The sandbox's public types: the contract outside checks rely on. Nothing here may depend
 * on the optional peers (ajv, openapi-sampler), so a consumer's types compile without them.
 */

export type ExecutionKind = 'collection' | 'payout' | 'transfer' | 'refund';
export type ExecutionStatus = 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

export interface SandboxCredentials {
  clientId: string;
  clientSecret: string;
}

export interface SandboxPasscode {
  /** The merchant passcode code that payout executions accept. */
  code: string;
  /** The merchant phone (digits, no '+') that payout executions accept in `passcode.token.phone`. */
  phone: string;
}

export interface SandboxOptions {
  /** Port to listen on. Default 0: a free port chosen by the OS. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1` (loopback only). */
  host?: string;
  /** Milliseconds from an execution to its final status (PENDING, then PROCESSING at half-time). Default 1500. */
  settleAfterMs?: number;
  /** Token lifetime in minutes; fractions allowed for tests (`expires_in` reports whole minutes, at least 1). Default 60. */
  tokenTtlMinutes?: number;
  /** Session lifetime in milliseconds (transfer and refund sessions keep an earlier `expires_at`). Default 900000 (15 min). */
  sessionTtlMs?: number;
  /** Path of the OpenAPI document (JSON) to serve. Default: the package's own openapi.json. */
  spec?: string;
  /** Credentials the token endpoint accepts. Default: `sandbox-client` and a random secret. */
  credentials?: SandboxCredentials;
  /** Passcode that payout executions accept. Default: a random code and phone `231771234567`. */
  passcode?: SandboxPasscode;
  /** False to simulate a merchant that is not fully verified: payouts and refunds get 403. Default true. */
  verified?: boolean;
  /** Records kept per kind (tokens, sessions, executions, ...) before the oldest are evicted. Default 10000. */
  maxRecords?: number;
}

/** An injected fault for the next matching request(s). */
export type SandboxFault =
  /** Destroy the connection as soon as the request arrives: nothing is processed. */
  | 'reset-before'
  /** Process the request (state changes, executions are recorded), then destroy the connection unanswered. */
  | 'reset-after'
  /** Answer with this status instead, without processing (e.g. 429 with Retry-After, 503). */
  | { status: number; retryAfter?: number | string; body?: unknown }
  /** Process the request, then answer this many milliseconds late. */
  | { delayMs: number };

export interface SandboxInjection {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Path to match: exact (`/v1/executions/payout`), a template (`/v1/status/payout/{reference_id}`) or a RegExp. */
  path: string | RegExp;
  fault: SandboxFault;
  /** How many matching requests get the fault. Default 1. */
  times?: number;
}

export interface SandboxOutcome {
  status: 'COMPLETED' | 'FAILED';
  /** For FAILED: the payout's `wallet_message`, or the other kinds' `gateway_message`. */
  message?: string;
}

export interface SandboxExecution {
  kind: ExecutionKind;
  referenceId: string;
  /** The execution body as the sandbox received it. */
  body: Record<string, unknown>;
  /** The status a status lookup would return now. */
  status: ExecutionStatus;
  /** Every execution POST that reached the sandbox with this reference id, refused duplicates included. */
  sends: number;
}

export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  readonly credentials: SandboxCredentials;
  readonly passcode: SandboxPasscode;
  /** Queues a fault for the next `times` matching requests (faults are checked in the order injected). */
  inject(injection: SandboxInjection): void;
  /** Fixes how an execution settles; call before or after the execution is sent. */
  setOutcome(referenceId: string, outcome: SandboxOutcome): void;
  /** What was processed, oldest first. */
  executions(): SandboxExecution[];
  /** Forgets all state, pending faults and outcomes; keeps the URL, credentials and passcode. */
  reset(): void;
  /** Stops listening and destroys open connections and pending timers. Safe to call twice. */
  close(): Promise<void>;
}
