/**
 * Requests are checked against the spec with a real JSON Schema 2020-12 validator (Ajv) and
 * refused in FastAPI's 422 shape: `{detail: [{loc: ['body'|'query'|'path', ...], msg, type}]}`,
 * with Pydantic v2's messages and types. Responses are checked against their 200 schema too, so
 * the sandbox cannot drift from the contract silently. Submitted values are never echoed
 * (FastAPI's `input`), so no passcode or secret comes back in an error body.
 */
import type { AjvError, AjvInstance, SandboxDeps, ValidateFunction } from './deps.js';
import type { JsonObject, Operation, Spec } from './spec.js';

export interface Issue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface ValidatedRequest {
  issues: Issue[];
  /** Query and path values coerced as FastAPI does (`"42"` -> 42 where an integer is expected). */
  query: Record<string, unknown>;
  path: Record<string, unknown>;
}

/** Marks a request without a body (distinct from a JSON `null`). */
export const NO_BODY = Symbol('no body');

const SPEC_ID = 'https://sandbox.dollr.invalid/openapi.json';
// OpenAPI 3.1 keywords outside JSON Schema's vocabulary, kept as annotations.
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];
// OpenAPI formats Ajv does not know; any value is accepted, as FastAPI does for them.
const OPENAPI_FORMATS = ['password', 'int32', 'int64', 'float', 'double', 'binary'];

export class SpecValidator {
  private readonly ajv: AjvInstance;
  private readonly cache = new Map<object, ValidateFunction>();

  constructor(spec: Spec, deps: SandboxDeps) {
    // strict: unknown keywords are errors, except the OpenAPI annotations and `x-*` keys the
    // document really uses; strictTypes off because FastAPI's `anyOf` unions carry no `type`.
    this.ajv = new deps.Ajv({
      strict: true,
      strictTypes: false,
      strictRequired: false,
      strictTuples: false,
      allErrors: true,
      allowUnionTypes: true,
    });
    deps.addFormats(this.ajv);
    for (const format of OPENAPI_FORMATS) this.ajv.addFormat(format, true);
    for (const keyword of new Set([...OPENAPI_KEYWORDS, ...extensionKeys(spec.document)])) {
      if (!this.ajv.getKeyword(keyword)) this.ajv.addKeyword(keyword);
    }
    const components = ((spec.document.components as JsonObject | undefined)?.schemas ?? {}) as JsonObject;
    this.ajv.addSchema({ $id: SPEC_ID, $defs: rewriteRefs(components) });
  }

  /** Validates path, query and body of a request against the operation. */
  request(operation: Operation, path: Record<string, string>, search: URLSearchParams, body: unknown): ValidatedRequest {
    const issues: Issue[] = [];
    const coerced = { path: {} as Record<string, unknown>, query: {} as Record<string, unknown> };
    for (const parameter of operation.parameters) {
      if (parameter.in !== 'path' && parameter.in !== 'query') continue;
      const raw = parameter.in === 'path' ? path[parameter.name] : search.get(parameter.name) ?? undefined;
      if (raw === undefined) {
        if (parameter.required) issues.push({ loc: [parameter.in, parameter.name], msg: 'Field required', type: 'missing' });
        continue;
      }
      const validate = this.compile(parameter.schema);
      let errors: AjvError[] = [];
      let accepted = false;
      for (const candidate of candidates(raw)) {
        if (validate(candidate)) {
          coerced[parameter.in][parameter.name] = candidate;
          accepted = true;
          break;
        }
        errors = validate.errors ?? [];
      }
      if (!accepted) issues.push(...toIssues(errors, [parameter.in, parameter.name]));
    }
    if (operation.body) {
      if (body === NO_BODY) {
        if (operation.body.required) issues.push({ loc: ['body'], msg: 'Field required', type: 'missing' });
      } else {
        const validate = this.compile(operation.body.schema);
        if (!validate(body)) issues.push(...toIssues(validate.errors ?? [], ['body']));
      }
    }
    return { issues, ...coerced };
  }

  /** Violations of the operation's 200 response schema, one line each (empty when valid). */
  response(operation: Operation, body: unknown): string[] {
    const validate = this.compile(operation.response);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  }

  /** Validates any schema from the document (used for samples). */
  check(schema: JsonObject, value: unknown): boolean {
    return this.compile(schema)(value);
  }

  private compile(schema: JsonObject): ValidateFunction {
    let validate = this.cache.get(schema);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema) as object);
      this.cache.set(schema, validate);
    }
    return validate;
  }
}

/** A query or path string as FastAPI would try it: as is, as a number, as a boolean. */
function candidates(raw: string): unknown[] {
  const values: unknown[] = [raw];
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) values.push(Number(raw));
  if (raw === 'true' || raw === 'false') values.push(raw === 'true');
  return values;
}

/** Points `#/components/schemas/X` at the shared `$defs` copy registered under SPEC_ID. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')
        ? `${SPEC_ID}#/$defs/${inner.slice('#/components/schemas/'.length)}`
        : rewriteRefs(inner);
  }
  return out;
}

function extensionKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const inner of value) extensionKeys(inner, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key.startsWith('x-')) found.add(key);
      extensionKeys(inner, found);
    }
  }
  return found;
}

/**
 * Ajv errors to FastAPI issues. An `anyOf`/`oneOf` failure is reported once, through the
 * branch error that says most (Ajv lists the branch errors just before the union's own).
 */
export function toIssues(errors: AjvError[], prefix: (string | number)[]): Issue[] {
  const kept: AjvError[] = [];
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      const branch: AjvError[] = [];
      while (kept.length > 0) {
        const last = kept[kept.length - 1]!;
        if (last.instancePath !== error.instancePath && !last.instancePath.startsWith(`${error.instancePath}/`)) break;
        branch.unshift(kept.pop()!);
      }
      kept.push(branch.find((e) => e.keyword !== 'type') ?? branch[0] ?? error);
      continue;
    }
    kept.push(error);
  }
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of kept) {
    const issue = toIssue(error, prefix);
    const key = JSON.stringify(issue);
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

const TYPE_ISSUES: Record<string, [string, string]> = {
  string: ['string_type', 'Input should be a valid string'],
  integer: ['int_type', 'Input should be a valid integer'],
  number: ['float_type', 'Input should be a valid number'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  object: ['model_attributes_type', 'Input should be a valid dictionary or object to extract fields from'],
  array: ['list_type', 'Input should be a valid list'],
  null: ['none_required', 'Input should be None'],
};

function toIssue(error: AjvError, prefix: (string | number)[]): Issue {
  const loc = [
    ...prefix,
    ...error.instancePath
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
  ];
  const p = error.params;
  const quote = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
  const plural = (n: unknown): string => (n === 1 ? '' : 's');
  switch (error.keyword) {
    case 'required':
      return { loc: [...loc, String(p.missingProperty)], msg: 'Field required', type: 'missing' };
    case 'additionalProperties':
      return { loc: [...loc, String(p.additionalProperty)], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' };
    case 'type': {
      const [type, msg] = TYPE_ISSUES[String(p.type).split(',')[0] ?? ''] ?? ['type_error', `Input should be ${String(p.type)}`];
      return { loc, msg, type };
    }
    case 'minLength':
      return { loc, msg: `String should have at least ${String(p.limit)} character${plural(p.limit)}`, type: 'string_too_short' };
    case 'maxLength':
      return { loc, msg: `String should have at most ${String(p.limit)} character${plural(p.limit)}`, type: 'string_too_long' };
    case 'pattern':
      return { loc, msg: `String should match pattern '${String(p.pattern)}'`, type: 'string_pattern_mismatch' };
    case 'minimum':
      return { loc, msg: `Input should be greater than or equal to ${String(p.limit)}`, type: 'greater_than_equal' };
    case 'exclusiveMinimum':
      return { loc, msg: `Input should be greater than ${String(p.limit)}`, type: 'greater_than' };
    case 'maximum':
      return { loc, msg: `Input should be less than or equal to ${String(p.limit)}`, type: 'less_than_equal' };
    case 'exclusiveMaximum':
      return { loc, msg: `Input should be less than ${String(p.limit)}`, type: 'less_than' };
    case 'enum': {
      const values = ((p.allowedValues ?? []) as unknown[]).map(quote);
      const list = values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values.join('');
      return { loc, msg: `Input should be ${list}`, type: 'enum' };
    }
    case 'const':
      return { loc, msg: `Input should be ${quote(p.allowedValue)}`, type: 'literal_error' };
    case 'format':
      return p.format === 'date-time'
        ? { loc, msg: 'Input should be a valid datetime', type: 'datetime_parsing' }
        : { loc, msg: `Value error, not a valid ${String(p.format)}`, type: 'value_error' };
    default:
      return { loc, msg: `Value error, ${error.message ?? error.keyword}`, type: 'value_error' };
  }
}
