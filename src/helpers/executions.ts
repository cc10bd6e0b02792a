/**
 * Money movement on top of the core client, for all four kinds: `execute`, `getExecution`,
 * `waitForExecution`. Reconciling a lost response is the transport's job (so raw
 * `client.POST` gets it too); these helpers turn answers into values or typed errors, and
 * follow an execution to COMPLETED or FAILED, which are outcomes, not errors.
 */
import { checkCallOptions } from '../core/client.js';
import type { Core } from '../core/client.js';
import { DollrApiError, DollrConnectionError, DollrWaitTimeoutError, answerError, apiError } from '../core/errors.js';
import { safeParse } from '../core/transport/reconcile.js';
import { REFERENCE_ID_RULE, isExecutionFor, isReferenceId } from '../core/guards.js';
import type { PerCall } from '../core/transport.js';
import { EXECUTION_KINDS, policyFor, secretsIn } from '../core/policy.js';
import { isRetryableStatus, retryAfterMs, sleep } from '../core/retry.js';
import type { Execution, ExecutionKind, ExecutionStatus, RequestBody } from '../core/types.js';
import { check, checkTimeout } from '../core/validate.js';

/** The body of `POST /v1/executions/{kind}`, as the API takes it (snake_case), from the spec. */
export type ExecutionBody<K extends ExecutionKind> = RequestBody<'post', `/v1/executions/${K}`>;

/** Per-call overrides of the client's options, the last argument of `execute`, `payout` and `getExecution`. */
export interface RequestOptions {
  /** Aborts the call at once (rejecting with the signal's reason); an abort is never retried. Default: none. */
  signal?: AbortSignal;
  /** Deadline of each attempt in milliseconds, to the last byte of the body. Default: the client's `timeoutMs` (30000). */
  timeoutMs?: number;
  /** Re-sends after the first attempt, a count (status lookups are bounded separately). Default: the client's `maxRetries` (2). */
  maxRetries?: number;
}

/** Options of `waitForExecution`. */
export interface WaitOptions {
  /** Stops waiting at once, rejecting with the signal's reason. Default: none. */
  signal?: AbortSignal;
  /** First delay between status lookups, in milliseconds; grows 1.5x per lookup while PROCESSING, up to 30000. Default 3000. */
  pollIntervalMs?: number;
  /** Gives up with DollrWaitTimeoutError after this many milliseconds. Default 600000 (10 minutes). */
  maxWaitMs?: number;
  /** Called once per change of status, with the execution that showed it. Default: none. */
  onStatus?: (execution: Execution) => void;
}

/**
 * True for COMPLETED and FAILED, the final statuses; PENDING, PROCESSING (which can last
 * minutes) and any status outside the four are not final. Narrows `Execution['status']`.
 */
export function isFinalStatus(status: string): status is 'COMPLETED' | 'FAILED' {
  return status === 'COMPLETED' || status === 'FAILED';
}

/** True for the four statuses Dollr documents; anything else is passed through but never final. */
export const isKnownStatus = (status: string): status is ExecutionStatus =>
  isFinalStatus(status) || status === 'PENDING' || status === 'PROCESSING';
const POLL_MAX_MS = 30_000;
const POLL_GROWTH = 1.5;

function checkKind(kind: unknown): asserts kind is ExecutionKind {
  check(EXECUTION_KINDS.includes(kind as ExecutionKind), 'kind', `be one of ${EXECUTION_KINDS.join(', ')}`);
}

/** 408, 429, 5xx, a malformed 2xx and lost connections: worth another look later. */
function isTransient(error: unknown): boolean {
  return error instanceof DollrConnectionError || (error instanceof DollrApiError && (error.status < 300 || isRetryableStatus(error.status)));
}

/** The execution helpers of a client (internal: users see them on DollrClient). */
export interface Executions {
  /**
   * Sends an execution and resolves to the Execution Dollr answered (`PENDING` as a rule). If the answer is lost, the
   * client looks the reference_id up before sending again, so it is never sent twice.
   * Throws DollrInputError (nothing sent), DollrApiError (refused), or DollrConnectionError /
   * DollrTimeoutError with `processed: 'unknown'` when even the status lookup could not tell.
   */
  execute<K extends ExecutionKind>(kind: K, body: ExecutionBody<K>, options?: RequestOptions): Promise<Execution>;
  /** The execution with this reference_id, or `null` when Dollr has none (404: it never landed). */
  getExecution(kind: ExecutionKind, referenceId: string, options?: RequestOptions): Promise<Execution | null>;
  /** Polls the status until COMPLETED or FAILED (both resolve); rejects with DollrWaitTimeoutError after `maxWaitMs`. */
  waitForExecution(kind: ExecutionKind, referenceId: string, options?: WaitOptions): Promise<Execution>;
}

export function createExecutions({ auth, log, call }: Core): Executions {
  /**
   * One call whose answer must be the execution `referenceId`: an execution (`POST`) or its
   * status lookup (`GET`). Resolves to the Execution, or `null` for a lookup's 404 only;
   * anything else is a typed error (a 2xx that is not this execution proves nothing).
   */
  async function expectExecution(method: 'POST' | 'GET', path: string, init: Record<string, unknown>, referenceId: string | undefined, perCall: PerCall) {
    // An execution's 2xx was checked, and parsed, by the transport: openapi-fetch hands that value
    // over without parsing again. A lookup's body is parsed here: a 2xx that is not JSON is a
    // typed error, not a SyntaxError. `init` is the caller's fresh object: completed in place.
    if (method === 'GET') init.parseAs = 'text';
    if (perCall.signal) init.signal = perCall.signal;
    const { data: answer, error, response } = await call(method, path, init, perCall);
    const { record } = perCall;
    if (method === 'GET' && response.status === 404) return { execution: null, response };
    if (!response.ok) {
      // The body's own secrets (a payout's passcode code), then the token's.
      const secrets = [...secretsIn(policyFor(method, path), init.body), ...auth.secrets()];
      throw apiError(response, error, { referenceId, secrets, attempts: record?.attempts, processed: record?.processed });
    }
    const data = method === 'GET' ? safeParse(answer as string | undefined) : answer;
    if (referenceId === undefined || !isExecutionFor(data, referenceId)) {
      throw answerError(response, `the body is not an ExecutionResponse for reference_id ${referenceId ?? '?'}`, record?.attempts ?? 1, referenceId, 'unknown');
    }
    // The spec types `status` as any string, we as the four Dollr documents: another one is
    // passed through (it is what the server said), logged, and never final, so a new status
    // can only make the client wait longer, never stop early.
    if (!isKnownStatus(data.status)) log.warn(`${referenceId}: unknown status ${JSON.stringify(data.status)}, not final`);
    return { execution: data as Execution, response };
  }

  async function execute<K extends ExecutionKind>(kind: K, body: ExecutionBody<K>, options?: RequestOptions): Promise<Execution> {
    checkKind(kind);
    // The record travels with the call (the per-request fetch), whatever middleware does.
    const perCall = checkCallOptions(options, { attempts: 0, processed: false });
    const referenceId = (body as { reference_id?: string }).reference_id;
    return (await expectExecution('POST', `/v1/executions/${kind}`, { body }, referenceId, perCall)).execution!;
  }

  /** One status lookup: the execution, `null` for 404 only, or a thrown DollrApiError (a malformed 2xx included). */
  const lookup = (kind: ExecutionKind, referenceId: string, perCall: PerCall) =>
    expectExecution('GET', `/v1/status/${kind}/{reference_id}`, { params: { path: { reference_id: referenceId } } }, referenceId, perCall);
  function checkLookup(kind: unknown, referenceId: unknown): asserts referenceId is string {
    checkKind(kind);
    check(isReferenceId(referenceId), 'referenceId', REFERENCE_ID_RULE);
  }

  async function getExecution(kind: ExecutionKind, referenceId: string, options?: RequestOptions): Promise<Execution | null> {
    checkLookup(kind, referenceId);
    return (await lookup(kind, referenceId, checkCallOptions(options))).execution;
  }

  async function waitForExecution(kind: ExecutionKind, referenceId: string, options: WaitOptions = {}): Promise<Execution> {
    checkLookup(kind, referenceId);
    let delay = checkTimeout(options.pollIntervalMs, 'pollIntervalMs', 3_000);
    const maxWaitMs = checkTimeout(options.maxWaitMs, 'maxWaitMs', 10 * 60_000);
    const { signal, onStatus } = options;
    const deadline = Date.now() + maxWaitMs;
    // One loop of retries only: this one. Each lookup is a single attempt.
    const perCall: PerCall = { maxRetries: 0, signal };
    let last: Execution | null = null;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let asked: number | undefined; // the server asked us not to come back sooner than this
      try {
        const { execution, response } = await lookup(kind, referenceId, perCall);
        if (execution === null) {
          throw apiError(response, { detail: 'Not Found' }, {
            referenceId,
            context: `No ${kind} ${referenceId}: it never landed`,
          });
        }
        if (execution.status !== last?.status) onStatus?.(execution);
        last = execution;
        if (isFinalStatus(execution.status)) return execution;
        // Mobile money can sit in PROCESSING for minutes: look less often the longer it does.
        if (execution.status === 'PROCESSING') delay = Math.min(delay * POLL_GROWTH, Math.max(POLL_MAX_MS, delay));
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!isTransient(error)) throw error;
        const api = error instanceof DollrApiError;
        asked = api ? retryAfterMs(error.headers) : undefined;
        // Status and code only: an error's message can quote the server's body.
        const what = api ? `answered ${error.status}` : `failed: ${(error as DollrConnectionError).code ?? 'no response'}`;
        log.info(`waiting for ${referenceId}: lookup ${what}; again in ${Math.round(asked ?? delay)} ms`);
      }
      const next = asked ?? delay;
      const left = deadline - Date.now();
      if (left <= 0 || (asked !== undefined && asked > left)) {
        if (left > 0) await sleep(left, signal);
        throw new DollrWaitTimeoutError(
          `${kind} ${referenceId} still ${last?.status ?? 'unknown'} after ${maxWaitMs} ms`,
          referenceId,
          last,
        );
      }
      await sleep(Math.min(next, left), signal);
    }
  }

  return { execute, getExecution, waitForExecution };
}
