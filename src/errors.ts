/**
 * Error classes. Invariant: no message, property, `cause` or `toJSON()` output carries the
 * bearer token, the client secret or the passcode code. Errors never keep the request,
 * its headers or the client options.
 */
import type { RawValidationIssue, ValidationIssue } from './types.js';
import { redactJson, redactText } from './redact.js';

/** Base class of every error this package throws. */
export class DollrError extends Error {
  /** Only safe, serializable fields; subclasses extend it. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message };
  }
}

/** Invalid input (options or request data), refused before any network call. */
export class DollrInputError extends DollrError {
  /** Dotted path of the offending value, e.g. `passcode.token.phone` or `baseUrl`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}

export interface DollrApiErrorInit {
  status: number;
  body: unknown;
  headers: Headers;
  attempts: number;
  referenceId?: string | undefined;
  /** Values to scrub from the body and message (token, client secret, passcode code). */
  secrets?: readonly string[];
  /** Prefix naming what failed when it is not the caller's own request. */
  context?: string;
}

/** The API answered with a non-2xx status (after any retries). */
export class DollrApiError extends DollrError {
  readonly status: number;
  /** Parsed response body (JSON when possible), with secrets and echoed inputs removed. */
  readonly body: unknown;
  /** Normalized 422 issues; empty for other statuses. */
  readonly issues: ValidationIssue[];
  readonly headers: Headers;
  readonly referenceId: string | undefined;
  /** HTTP attempts made, retries included. */
  readonly attempts: number;

  constructor(init: DollrApiErrorInit) {
    const secrets = init.secrets ?? [];
    const body = redactJson(init.body, secrets);
    const issues = init.status === 422 ? parseIssues(body) : [];
    super(redactText(formatApiMessage(init.status, body, issues, init.context), secrets));
    this.status = init.status;
    this.body = body;
    this.issues = issues;
    this.headers = init.headers;
    this.referenceId = init.referenceId;
    this.attempts = init.attempts;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      issues: this.issues,
      body: this.body,
      referenceId: this.referenceId,
      attempts: this.attempts,
    };
  }
}

export interface DollrConnectionErrorInit {
  attempts: number;
  referenceId?: string | undefined;
  /** System error code when known, e.g. `ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`. */
  code?: string | undefined;
  cause?: unknown;
}

/** No HTTP response was obtained: connection refused, reset, DNS failure, ... */
export class DollrConnectionError extends DollrError {
  readonly referenceId: string | undefined;
  readonly attempts: number;
  readonly code: string | undefined;

  constructor(message: string, init: DollrConnectionErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.referenceId = init.referenceId;
    this.attempts = init.attempts;
    this.code = init.code;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code, referenceId: this.referenceId, attempts: this.attempts };
  }
}

/** An attempt exceeded `timeoutMs` and no retry was allowed or left. */
export class DollrTimeoutError extends DollrConnectionError {}

// `name` lives on the prototype so it is not an own enumerable field cluttering logs.
// Explicit strings: minifiers rename classes.
for (const [ErrorClass, name] of [
  [DollrError, 'DollrError'],
  [DollrInputError, 'DollrInputError'],
  [DollrApiError, 'DollrApiError'],
  [DollrConnectionError, 'DollrConnectionError'],
  [DollrTimeoutError, 'DollrTimeoutError'],
] as const) {
  Object.defineProperty(ErrorClass.prototype, 'name', {
    value: name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function isRawIssue(value: unknown): value is RawValidationIssue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.loc) && typeof v.msg === 'string';
}

/** FastAPI `{ detail: [{ loc, msg, type }] }` to `{ path, message, type }[]`. */
export function parseIssues(body: unknown): ValidationIssue[] {
  const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  if (!Array.isArray(detail)) return [];
  const issues: ValidationIssue[] = [];
  for (const item of detail) {
    if (!isRawIssue(item)) continue;
    issues.push({
      path: item.loc.map(String).join('.'),
      message: item.msg,
      type: typeof item.type === 'string' ? item.type : 'unknown',
    });
  }
  return issues;
}

function formatApiMessage(status: number, body: unknown, issues: ValidationIssue[], context?: string): string {
  const head = `${context ? `${context}: ` : ''}${status}${STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : ''}`;
  if (issues.length > 0) return `${head}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  const detail = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : body;
  if (typeof detail === 'string' && detail.trim() !== '') {
    return `${head}: ${detail.length > 300 ? `${detail.slice(0, 300)}...` : detail}`;
  }
  return head;
}
