/**
 * The spec as a routing table: every operation of the OpenAPI document, matched by method and
 * path template. Literal segments win over parameters, so `/invoices/list` never reads as an
 * `{id}`. The document itself is the only source of operations: nothing here is hard-coded.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export type JsonObject = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonObject;
}

export interface Operation {
  method: string;
  /** The path template as written in the spec, e.g. `/{version}/status/payout/{reference_id}`. */
  template: string;
  /** `METHOD template`: the key handlers are registered under. */
  key: string;
  operationId: string;
  parameters: Parameter[];
  body: { schema: JsonObject; required: boolean } | null;
  /** The 200 response schema (`{}` when none is declared). */
  response: JsonObject;
  /** True when a bearer token is required (the operation's, else the document's, `security`). */
  secured: boolean;
  matcher: RegExp;
  literals: number;
}

export interface Spec {
  document: JsonObject;
  operations: Operation[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export const DEFAULT_SPEC = fileURLToPath(new URL('../../../openapi.json', import.meta.url));

export async function loadSpec(path: string = DEFAULT_SPEC): Promise<Spec> {
  let document: JsonObject;
  try {
    document = JSON.parse(await readFile(path, 'utf8')) as JsonObject;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`startSandbox could not read the OpenAPI document ${path} (JSON expected): ${reason}`);
  }
  return { document, operations: collectOperations(document) };
}

/** Resolves a local `#/...` reference (one level: enough for parameters, bodies and responses). */
export function deref<T>(document: JsonObject, value: T): T {
  const ref = (value as { $ref?: unknown } | null)?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return value;
  let target: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    target = (target as JsonObject | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
  return deref(document, target as T);
}

function collectOperations(document: JsonObject): Operation[] {
  const paths = (document.paths ?? {}) as Record<string, JsonObject>;
  const globalSecurity = document.security as unknown[] | undefined;
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    const shared = ((item.parameters ?? []) as JsonObject[]).map((p) => deref(document, p));
    for (const method of METHODS) {
      const op = item[method] as JsonObject | undefined;
      if (!op) continue;
      const own = ((op.parameters ?? []) as JsonObject[]).map((p) => deref(document, p));
      const byKey = new Map<string, Parameter>();
      for (const p of [...shared, ...own]) {
        byKey.set(`${String(p.in)}:${String(p.name)}`, {
          name: String(p.name),
          in: p.in as Parameter['in'],
          required: p.required === true,
          schema: (p.schema ?? {}) as JsonObject,
        });
      }
      const requestBody = op.requestBody ? deref(document, op.requestBody as JsonObject) : undefined;
      const bodySchema = (requestBody?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
      const ok = deref(document, ((op.responses ?? {}) as JsonObject)['200'] as JsonObject | undefined);
      const okSchema = ((ok?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema;
      const security = (op.security ?? globalSecurity ?? []) as unknown[];
      const segments = template.split('/').filter(Boolean);
      operations.push({
        method: method.toUpperCase(),
        template,
        key: `${method.toUpperCase()} ${template}`,
        operationId: String(op.operationId ?? `${method} ${template}`),
        parameters: [...byKey.values()],
        body: bodySchema ? { schema: (bodySchema.schema ?? {}) as JsonObject, required: requestBody?.required === true } : null,
        response: (okSchema ?? {}) as JsonObject,
        secured: security.some((s) => typeof s === 'object' && s !== null && Object.keys(s).length > 0),
        matcher: new RegExp(
          `^/${segments.map((s) => (/^\{.+\}$/.test(s) ? `(?<${groupName(s)}>[^/]+)` : escape(s))).join('/')}/?$`,
        ),
        literals: segments.filter((s) => !s.startsWith('{')).length,
      });
    }
  }
  // Most literal segments first, so fixed paths win over parameterised ones of the same length.
  return operations.sort((a, b) => b.literals - a.literals);
}

// Named groups must be identifiers; parameter names like `reference_id` already are.
function groupName(segment: string): string {
  return segment.slice(1, -1).replace(/[^A-Za-z0-9_]/g, '_');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type RouteMatch =
  | { kind: 'operation'; operation: Operation; params: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

export function matchRoute(spec: Spec, method: string, pathname: string): RouteMatch {
  let pathMatched = false;
  for (const operation of spec.operations) {
    const match = operation.matcher.exec(pathname);
    if (!match) continue;
    if (operation.method !== method) {
      pathMatched = true;
      continue;
    }
    const params: Record<string, string> = {};
    for (const p of operation.parameters) {
      if (p.in !== 'path') continue;
      const raw = match.groups?.[p.name.replace(/[^A-Za-z0-9_]/g, '_')];
      if (raw !== undefined) params[p.name] = safeDecode(raw);
    }
    return { kind: 'operation', operation, params };
  }
  return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
