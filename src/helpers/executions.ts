/**
 * Money movement on top of the core client, for all four kinds: `execute`, `getExecution`,
 * `waitForExecution`. Reconciling a lost response is the transport's job (so raw
 * `client.POST` gets it too); these helpers turn answers into values or typed errors, and
 * follow an execution to COMPLETED or FAILED, which are outcomes, not errors.
 */
import type { Core } from '../core/client.js';
import { DollrApiError, DollrConnectionError, DollrWaitTimeoutError, answerError, apiError } from '../core/errors.js';
import { safeParse } from '../core/transport/reconcile.js';
import { REFERENCE_ID_RULE, isExecutionFor, isReferenceId } from '../core/guards.js';
import type { CallRecord, PerCall } from '../core/transport.js';
import { policyFor, secretsIn } from '../core/policy.js';
import { isRetryableStatus, retryAfterMs, sleep } from '../core/retry.js';
import type { Execution, ExecutionKind, ExecutionStatus, RequestBody } from '../core/types.js';
import type { Log } from '../core/log.js';
import { check, checkTimeout, count } from '../core/validate.js';

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

/** The four kinds, as in `/v1/executions/{kind}`: the one runtime list (the sandbox and the batch runner use it too). */
export const EXECUTION_KINDS: readonly ExecutionKind[] = ['collection', 'payout', 'transfer', 'refund'];
const KINDS: readonly string[] = EXECUTION_KINDS;

/** True for the four statuses Dollr documents; anything else is passed through but never final. */
export const isKnownStatus = (status: string): status is ExecutionStatus =>
  isFinalStatus(status) || status === 'PENDING' || status === 'PROCESSING';
const POLL_MAX_MS = 30_000;
const POLL_GROWTH = 1.5;

function checkKind(kind: unknown): asserts kind is ExecutionKind {
  check(KINDS.includes(kind as string), 'kind', `be one of ${KINDS.join(', ')}`);
}

function callOptions(options: RequestOptions | undefined, record?: CallRecord): PerCall {
  return {
    signal: options?.signal,
    timeoutMs: checkTimeout(options?.timeoutMs, 'timeoutMs', undefined),
    maxRetries: count(options?.maxRetries, 'maxRetries', undefined),
    record,
  };
}

/**
 * The spec types `status` as any string; we type it as the four Dollr documents. A status
 * outside them is passed through (it is what the server said), logged at warn, and never
 * final, so a new status can only make the client wait longer, never stop early.
 */
function toExecution(data: unknown, log: Log): Execution {
  const execution = data as Execution;
  const status: string = execution.status;
  if (!isKnownStatus(status)) {
    log.warn(`${execution.reference_id}: unknown status ${JSON.stringify(status)}, not final`);
  }
  return execution;
}

/** 408, 429, 5xx, a malformed 2xx and lost connections: worth another look later. */
function isTransient(error: unknown): boolean {
  return error instanceof DollrConnectionError || (error instanceof DollrApiError && (error.status < 300 || isRetryableStatus(error.status)));
}


/** A 2xx that is not an ExecutionResponse for this reference_id proves nothing: typed, never a value. */
function notAnExecution(response: Response, referenceId: string | undefined, record?: CallRecord): DollrApiError {
  return answerError(response, `the body is not an ExecutionResponse for reference_id ${referenceId ?? '?'}`, record?.attempts ?? 1, referenceId, 'unknown');
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

export function createExecutions({ auth, log, call: send }: Core): Executions {
  async function execute<K extends ExecutionKind>(kind: K, body: ExecutionBody<K>, options?: RequestOptions): Promise<Execution> {
    checkKind(kind);
    const path = `/v1/executions/${kind}`;
    // The record travels with the call (the per-request fetch), whatever middleware does.
    const record: CallRecord = { attempts: 0, processed: false };
    // Parsed here, not by openapi-fetch: a 2xx that is not JSON is a typed error, not a SyntaxError.
    const init = options?.signal === undefined ? { body, parseAs: 'text' } : { body, parseAs: 'text', signal: options.signal };
    const { data: text, error, response } = await send('POST', path, init, callOptions(options, record));
    const data = safeParse(text as string | undefined);
    const referenceId = (body as { reference_id?: string }).reference_id;
    if (!response.ok) {
      const secrets = [...secretsIn(policyFor('POST', path), body), ...auth.secrets()];
      throw apiError(response, error, { referenceId, secrets, attempts: record.attempts, processed: record.processed });
    }
    if (referenceId === undefined || !isExecutionFor(data, referenceId)) throw notAnExecution(response, referenceId, record);
    return toExecution(data, log);
  }

  /** One status lookup: the execution, `null` for 404 only, or a thrown DollrApiError (a malformed 2xx included). */
  async function lookup(kind: ExecutionKind, referenceId: string, signal: AbortSignal | undefined, perCall: PerCall) {
    const init = { params: { path: { reference_id: referenceId } }, parseAs: 'text', ...(signal && { signal }) };
    const { data: text, error, response } = await send('GET', `/v1/status/${kind}/{reference_id}`, init, perCall);
    const data = safeParse(text as string | undefined);
    if (response.status === 404) return { execution: null, response };
    if (!response.ok) throw apiError(response, error, { referenceId, secrets: auth.secrets() });
    if (!isExecutionFor(data, referenceId)) throw notAnExecution(response, referenceId);
    return { execution: toExecution(data, log), response };
  }

  function checkLookup(kind: unknown, referenceId: unknown): asserts referenceId is string {
    checkKind(kind);
    check(isReferenceId(referenceId), 'referenceId', REFERENCE_ID_RULE);
  }

  async function getExecution(kind: ExecutionKind, referenceId: string, options?: RequestOptions): Promise<Execution | null> {
    checkLookup(kind, referenceId);
    return (await lookup(kind, referenceId, options?.signal, callOptions(options))).execution;
  }

  async function waitForExecution(kind: ExecutionKind, referenceId: string, options: WaitOptions = {}): Promise<Execution> {
    checkLookup(kind, referenceId);
    let delay = checkTimeout(options.pollIntervalMs, 'pollIntervalMs', 3_000);
    const maxWaitMs = checkTimeout(options.maxWaitMs, 'maxWaitMs', 10 * 60_000);
    const { signal, onStatus } = options;
    const deadline = Date.now() + maxWaitMs;
    // One loop of retries only: this one. Each lookup is a single attempt.
    const call: PerCall = { maxRetries: 0, signal };
    let last: Execution | null = null;
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let next = delay;
      let strict = false; // true when the server asked us not to come back sooner
      try {
        const { execution, response } = await lookup(kind, referenceId, signal, call);
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
        next = delay;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!isTransient(error)) throw error;
        const asked = error instanceof DollrApiError ? retryAfterMs(error.headers) : undefined;
        if (asked !== undefined) {
          next = asked;
          strict = true;
        }
        // Status and code only: an error's message can quote the server's body.
        const what = error instanceof DollrApiError ? `answered ${error.status}` : `failed: ${(error as DollrConnectionError).code ?? 'no response'}`;
        log.info(`waiting for ${referenceId}: lookup ${what}; again in ${Math.round(next)} ms`);
      }
      const left = deadline - Date.now();
      if (left <= 0 || (strict && next > left)) {
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
