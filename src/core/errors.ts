/**
 * Error classes, and the one place that builds an API error from a response. Invariant: no
 * message, property, `cause` or `toJSON()` output carries the bearer token, the client
 * secret or the passcode code. Errors never keep the request, its headers or the client
 * options, so every own enumerable field is safe to serialize.
 */
import type { ExecutionResponse, RawValidationIssue, ValidationIssue } from './types.js';
import { redactJson, redactText } from './redact.js';

/** Base class of every error this package throws. */
export class DollrError extends Error {
  /** `name`, `message` and the own fields (safe by construction); `headers` is left out. */
  toJSON(): Record<string, unknown> {
    const { headers: _headers, ...fields } = this as unknown as Record<string, unknown>;
    return { name: this.name, message: this.message, ...fields };
  }
}

/** Invalid input (options or request data), refused before any network call. */
export class DollrInputError extends DollrError {
  /** Dotted path of the offending value, e.g. `passcode.token.phone` or `baseUrl`. */
  declare readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export interface DollrApiErrorInit {
  status: number;
  /** The response's reason phrase, e.g. `Unprocessable Entity`; omitted from the message when empty. */
  statusText?: string;
  body: unknown;
  headers: Headers;
  attempts: number;
  referenceId?: string | undefined;
  /** Values to scrub from the body and message (token, client secret, passcode code). */
  secrets?: readonly string[] | undefined;
  /** Prefix naming what failed when it is not the caller's own request. */
  context?: string | undefined;
  /** Default: `'unknown'` for 408 and 5xx, `false` otherwise (a refusal). */
  processed?: false | 'unknown' | undefined;
}

/**
 * The API answered, but not with what was asked (after any retries): a non-2xx status, a
 * redirect (never followed), or, for an execution or a status lookup, a 2xx whose body is not
 * an ExecutionResponse for the reference_id.
 */
export class DollrApiError extends DollrError {
  // `declare`: assigned in the constructor, no separate field initializers to emit.
  /** The HTTP status of the last answer, e.g. 422 (a 3xx for a redirect, a 2xx for a body that is not the execution). */
  declare readonly status: number;
  /** Parsed response body (JSON when possible), with secrets and echoed inputs removed. */
  declare readonly body: unknown;
  /** Normalized 422 issues; empty for other statuses. */
  declare readonly issues: ValidationIssue[];
  /** The last answer's headers (never printed by `toJSON`). */
  declare readonly headers: Headers;
  /** The execution's reference_id, when the request was an execution or a status lookup. */
  declare readonly referenceId: string | undefined;
  /** The server's request id (`x-request-id` or `request-id` header), for support tickets. */
  declare readonly requestId: string | undefined;
  /** HTTP attempts made, retries included. */
  declare readonly attempts: number;
  /**
   * Whether the request may have been processed: `false` when the server refused it and no
   * earlier attempt of the call had an unknown outcome; `'unknown'` otherwise (5xx, 408, or
   * any earlier lost answer): look an execution up before any new attempt.
   */
  declare readonly processed: false | 'unknown';

  constructor(init: DollrApiErrorInit) {
    const secrets = init.secrets ?? [];
    const body = redactJson(init.body, secrets);
    const issues = init.status === 422 ? parseIssues(body) : [];
    super(redactText(formatApiMessage(init, body, issues), secrets));
    this.status = init.status;
    this.body = body;
    this.issues = issues;
    this.headers = init.headers;
    this.referenceId = init.referenceId;
    this.requestId = init.headers.get('x-request-id') ?? init.headers.get('request-id') ?? undefined;
    this.attempts = init.attempts;
    this.processed = init.processed ?? (init.status === 408 || init.status >= 500 ? 'unknown' : false);
  }
}

export interface DollrConnectionErrorInit {
  attempts: number;
  referenceId?: string | undefined;
  /** System error code when known, e.g. `ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`. */
  code?: string | undefined;
  /** `false`: proven not processed (refused, or the status lookup found nothing); `'unknown'` otherwise. */
  processed?: false | 'unknown';
  cause?: unknown;
}

/** No HTTP response was obtained: connection refused, reset, DNS failure, ... */
export class DollrConnectionError extends DollrError {
  /** The execution's reference_id, when the request was an execution or a status lookup. */
  declare readonly referenceId: string | undefined;
  /** HTTP attempts made, retries included. */
  declare readonly attempts: number;
  /** System error code when known, e.g. `ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`. */
  declare readonly code: string | undefined;
  /**
   * Whether the request may have been processed: `false` when that is proven not to be the
   * case, `'unknown'` when it may have been. For an execution, `'unknown'` means: look its
   * status up (`getExecution`) before any new attempt.
   */
  declare readonly processed: false | 'unknown';

  constructor(message: string, init: DollrConnectionErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.referenceId = init.referenceId;
    this.attempts = init.attempts;
    this.code = init.code;
    this.processed = init.processed ?? 'unknown';
  }
}

/** An attempt exceeded `timeoutMs` and no retry was allowed or left. */
export class DollrTimeoutError extends DollrConnectionError {}

/** `waitForExecution` reached `maxWaitMs` before the execution was COMPLETED or FAILED. */
export class DollrWaitTimeoutError extends DollrError {
  /** The reference_id that was being followed. */
  declare readonly referenceId: string;
  /** The last ExecutionResponse seen, or `null` if no lookup answered. */
  declare readonly lastStatus: ExecutionResponse | null;

  constructor(message: string, referenceId: string, lastStatus: ExecutionResponse | null) {
    super(message);
    this.referenceId = referenceId;
    this.lastStatus = lastStatus;
  }
}

// `name` lives on the prototype (non-enumerable) so it is not an own field cluttering logs.
// Explicit strings: minifiers rename classes.
for (const [ErrorClass, name] of [
  [DollrError, 'DollrError'],
  [DollrInputError, 'DollrInputError'],
  [DollrApiError, 'DollrApiError'],
  [DollrConnectionError, 'DollrConnectionError'],
  [DollrTimeoutError, 'DollrTimeoutError'],
  [DollrWaitTimeoutError, 'DollrWaitTimeoutError'],
] as const) {
  Object.defineProperty(ErrorClass.prototype, 'name', { value: name, writable: true, configurable: true });
}

// ---- Building errors from responses --------------------------------------------------------

export interface ApiErrorContext {
  referenceId?: string | undefined;
  /** HTTP attempts the call made (from the transport's call record). Default 1. */
  attempts?: number | undefined;
  /** From the transport's call record; default as DollrApiError's. */
  processed?: false | 'unknown' | undefined;
  secrets?: readonly string[];
  context?: string;
}

/**
 * The one factory for `DollrApiError` from a response the transport handed back (its body
 * already parsed by openapi-fetch or by the caller). A 422 on `body.reference_id` for an
 * execution says what it means: the id was used before, so look that execution up.
 */
export function apiError(response: Response, body: unknown, ctx: ApiErrorContext = {}): DollrApiError {
  const { status, statusText, headers } = response;
  const error = new DollrApiError({ ...ctx, status, statusText, body, headers, attempts: ctx.attempts ?? 1 });
  if (ctx.referenceId !== undefined && isReferenceIdConflict(error.issues)) {
    error.message += `. reference_id ${ctx.referenceId} is already used by an execution: look it up with getExecution() instead of sending it again`;
  } else if (ctx.referenceId !== undefined && ctx.processed === 'unknown') {
    error.message += `; ${unknownOutcome(ctx.referenceId)}`;
  }
  return error;
}

/** A DollrApiError for an answer that is not what was asked (a redirect, a 2xx that is not the execution): `detail` says why. */
export const answerError = (
  answer: { status: number; statusText: string; headers?: Headers },
  detail: string,
  attempts: number,
  referenceId: string | undefined,
  processed: false | 'unknown',
  secrets?: readonly string[],
): DollrApiError =>
  new DollrApiError({ status: answer.status, statusText: answer.statusText, body: { detail }, headers: answer.headers ?? new Headers(), attempts, referenceId, processed, secrets });

/** The one wording of an execution whose outcome is unknown, for every message that says so. */
export const unknownOutcome = (referenceId: string | undefined): string =>
  `the outcome is unknown: the execution may have been processed. Look its status up (getExecution with reference_id ${referenceId ?? '?'}) before any new attempt`;

/**
 * The same error with `processed` as this call knows it: a token failure shared by every
 * waiter says `false` for a call that had sent nothing, `'unknown'` for one that had.
 */
export function withProcessed<E extends DollrError>(error: E, processed: false | 'unknown'): E {
  if (!('processed' in error) || error.processed === processed) return error;
  // A copy (the shared error stays as its other waiters see it); `processed` is an own writable field.
  return Object.assign(Object.create(Object.getPrototypeOf(error) as object, Object.getOwnPropertyDescriptors(error)) as E, { processed });
}

/** True when a 422 names `body.reference_id`: Dollr's answer to a reused id. */
export function isReferenceIdConflict(issues: readonly ValidationIssue[]): boolean {
  return issues.some((issue) => issue.path === 'body.reference_id');
}

const isRawIssue = (item: unknown): item is RawValidationIssue =>
  Array.isArray((item as RawValidationIssue | null)?.loc) && typeof (item as RawValidationIssue).msg === 'string';

/** FastAPI `{ detail: [{ loc, msg, type }] }` to `{ path, message, type }[]`. */
export function parseIssues(body: unknown): ValidationIssue[] {
  const detail = (body as { detail?: unknown } | null | undefined)?.detail;
  if (!Array.isArray(detail)) return [];
  return detail.filter(isRawIssue).map((item) => ({
    path: item.loc.join('.'),
    message: item.msg,
    type: typeof item.type === 'string' ? item.type : 'unknown',
  }));
}

/** `[context: ]status[ statusText][: detail]`, the detail being the 422 issues or a string `detail`. */
function formatApiMessage(init: DollrApiErrorInit, body: unknown, issues: ValidationIssue[]): string {
  const head = `${init.context ? `${init.context}: ` : ''}${init.status}${init.statusText ? ` ${init.statusText}` : ''}`;
  if (issues.length > 0) return `${head}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  const detail = (body as { detail?: unknown } | null | undefined)?.detail ?? body;
  if (typeof detail !== 'string' || detail.trim() === '') return head;
  return `${head}: ${detail.length > 300 ? `${detail.slice(0, 300)}...` : detail}`;
}
