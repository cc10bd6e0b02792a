/**
 * The sandbox's public types: the contract outside checks rely on. Nothing here may depend
 * on the optional peers (ajv, openapi-sampler), so a consumer's types compile without them.
 * Fault paths are typed from the generated operation table, so a typo does not compile.
 */
import type { ExecutionKind, ExecutionStatus } from '../../core/types.js';
import type { operations } from '../../generated/operations.js';

// One definition of the kinds and statuses: the main entry's (core/types.ts).
export type { ExecutionKind, ExecutionStatus };

/** The client credentials the sandbox's token endpoint accepts (test values, never real ones). */
export interface SandboxCredentials {
  /** `client_id` of the token request. */
  clientId: string;
  /** `client_secret` of the token request. */
  clientSecret: string;
}

/** The payout passcode the sandbox accepts. */
export interface SandboxPasscode {
  /** The merchant passcode code that payout executions accept. */
  code: string;
  /** The merchant phone (digits, no '+') that payout executions accept in `passcode.token.phone`. */
  phone: string;
}

/** Options of startSandbox(); every one has a default. */
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
  /** Records kept per kind (tokens, sessions, executions, requests, ...) before the oldest are evicted. Default 10000. */
  maxRecords?: number;
  /**
   * Bearer token the control surface (/_sandbox) requires when bound to a non-loopback host.
   * Default: a random one, readable as `sandbox.controlToken`.
   */
  controlToken?: string;
  /** Extra `Host` names accepted besides the bound address and loopback names (e.g. a Docker service name). */
  allowedHosts?: string[];
}

type SpecTemplate = (typeof operations)[number]['path'];
type Versioned<P extends string> = P extends `/{version}${infer Rest}` ? `/v1${Rest}` : P;
type Concrete<P extends string> = P extends `${infer Head}{${string}}${infer Tail}` ? `${Head}${string}${Concrete<Tail>}` : P;

/**
 * A path of the spec: a template as written (`/{version}/executions/payout`), with the version
 * (`/v1/status/payout/{reference_id}`), or concrete (`/v1/status/payout/550e8400-...`).
 */
export type SandboxPath = SpecTemplate | Concrete<Versioned<SpecTemplate>>;

/** An injected fault for the next matching request(s). */
/** What an injected fault does to the requests it matches (see docs/sandbox.md). */
export type SandboxFault =
  /** Destroy the connection as soon as the request arrives: nothing is processed. */
  | 'reset-before'
  /** Process the request (state changes, executions are recorded), then destroy the connection unanswered. */
  | 'reset-after'
  /**
   * Answer with this status (e.g. 429 with Retry-After, 503). Without `processed`, nothing is
   * processed; with `processed: true` the request is processed first (the payout lands, then the
   * gateway answers 503), and the body is FastAPI's `{"detail": ...}` unless `body` is given.
   */
  | {
      /** The status to answer. */
      status: number;
      /** True: process the request first. */
      processed?: boolean;
      /** `Retry-After` to send: seconds or an HTTP date. */
      retryAfter?: number | string;
      /** The body to answer instead of `{"detail": ...}`. */
      body?: unknown;
    }
  /** Answer a redirect (301, 302, 303, 307 or 308; default 307) to `redirect`, processing nothing. */
  | {
      /** The `Location` to answer. */
      redirect: string;
      /** The redirect status (default 307). */
      status?: 301 | 302 | 303 | 307 | 308;
    }
  /** Process the request, then answer this many milliseconds late. */
  | {
      /** Milliseconds to wait before answering. */
      delayMs: number;
    }
  /** Process the request, then send the answer one byte every `dripMs` milliseconds. */
  | {
      /** Milliseconds between two bytes of the answer. */
      dripMs: number;
    }
  /** Process the request, send the headers, never finish the body (held until the client gives up or close()). */
  | 'stall'
  /** Process the request, declare the full content-length, send half the body, close the connection. */
  | 'truncate';

/** A fault for the next `times` requests matching `method` and `path`. */
export interface SandboxInjection {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /**
   * An operation of the served spec: exact (`/v1/executions/payout`), a template
   * (`/v1/status/payout/{reference_id}`), or a RegExp that matches at least one operation.
   * Anything else throws, naming the closest templates.
   */
  path: SandboxPath | RegExp;
  /** What happens to the matching requests. */
  fault: SandboxFault;
  /** How many matching requests get the fault. Default 1. */
  times?: number;
}

/** How an execution settles once `settleAfterMs` has passed. */
export interface SandboxOutcome {
  /** The final status. */
  status: 'COMPLETED' | 'FAILED';
  /** For FAILED: the payout's `wallet_message`, or the other kinds' `gateway_message`. */
  message?: string;
}

/** An execution the sandbox processed. */
export interface SandboxExecution {
  /** Which of the four kinds. */
  kind: ExecutionKind;
  /** Its reference id, as first sent. */
  referenceId: string;
  /** The execution body as the sandbox received it. */
  body: Record<string, unknown>;
  /** The status a status lookup would return now. */
  status: ExecutionStatus;
  /** Every execution POST that reached the sandbox with this reference id, refused duplicates included. */
  sends: number;
}

/** One request that reached the API side of the sandbox (the control surface is not logged). */
export interface SandboxRequest {
  /** HTTP method. */
  method: string;
  /** The path without its query string (at most 512 characters). */
  path: string;
  /** The spec template it matched (`/{version}/executions/payout`), or null for an unknown path. */
  operation: string | null;
  /** The status answered (also for a stall, drip or truncated body); null when the connection was cut unanswered. */
  status: number | null;
  /** The injected fault applied to it, e.g. `reset-after`, `status 503 processed`, `redirect 307`. */
  fault: string | null;
  /** When it arrived (ISO 8601). */
  time: string;
  /** The execution's reference id (a UUID) from the body or path, where there is one. */
  referenceId: string | null;
}

/** A running sandbox, from startSandbox(). */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  /** The credentials its token endpoint accepts. */
  readonly credentials: SandboxCredentials;
  /** The passcode its payout executions accept. */
  readonly passcode: SandboxPasscode;
  /** Bearer token for the control surface; required over HTTP only when bound to a non-loopback host. */
  readonly controlToken: string;
  /** Queues a fault for the next `times` matching requests (faults are checked in the order injected). */
  inject(injection: SandboxInjection): void;
  /** Fixes how an execution settles; call before or after the execution is sent. */
  setOutcome(referenceId: string, outcome: SandboxOutcome): void;
  /** What was processed, oldest first. */
  executions(): SandboxExecution[];
  /** Requests that reached the API, oldest first (bounded like the other records); never a body, token or secret. */
  requests(): SandboxRequest[];
  /** Forgets all state, pending faults and outcomes; keeps the URL, credentials and passcode. */
  reset(): void;
  /** Stops listening and destroys open connections and pending timers. Safe to call twice. */
  close(): Promise<void>;
}
