import { GenerateError, isRecord } from './errors.js';
import { isLocalRef, resolvePointer } from './json-pointer.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The fields later stages rely on, proven present by `validateSpec`. */
export interface ValidSpec extends Record<string, unknown> {
  openapi: string;
  info: Record<string, unknown> & { title: string; version: string };
  paths: Record<string, unknown>;
}

// Keys whose values are literal data, not OpenAPI objects: a `$ref` key inside an
// example or an enum value is just data and must not be treated as a reference.
// Extensions (x-*) are vendor data with no agreed meaning for `$ref` either.
const LITERAL_KEYS = new Set(['example', 'default', 'const', 'enum']);
// Maps keyed by user-chosen names, where e.g. a property or schema called `example`
// is a real object that may hold refs.
const NAMED_MAPS = new Set([
  'properties', 'patternProperties', '$defs', 'definitions', 'schemas', 'responses', 'parameters',
  'examples', 'requestBodies', 'headers', 'securitySchemes', 'links', 'callbacks', 'pathItems',
  'content', 'encoding', 'paths', 'webhooks',
]);

/**
 * Reject anything openapi-typescript would choke on or silently mistype, before a
 * single byte is written. Every failure is one line naming the problem.
 */
export function validateSpec(spec: unknown): ValidSpec {
  if (!isRecord(spec)) {
    throw new GenerateError(`spec is not an object (got ${describe(spec)})`);
  }
  if ('swagger' in spec) {
    throw new GenerateError(
      `spec is Swagger/OpenAPI 2.0 (swagger: ${JSON.stringify(spec.swagger)}); only OpenAPI 3.0.x and 3.1.x are supported`,
    );
  }
  const version = spec.openapi;
  if (typeof version !== 'string') {
    throw new GenerateError(
      version === undefined
        ? 'spec has no "openapi" field; expected a string like "3.1.0"'
        : `"openapi" must be a string like "3.1.0" (got ${JSON.stringify(version)})`,
    );
  }
  if (!/^3\.[01]\.\d+(-[\w.]+)?$/.test(version)) {
    throw new GenerateError(`openapi ${JSON.stringify(version)} is not supported; expected 3.0.x or 3.1.x`);
  }
  const info = spec.info;
  if (!isRecord(info) || typeof info.title !== 'string' || typeof info.version !== 'string') {
    throw new GenerateError('spec "info" must have string "title" and "version"');
  }
  const paths = spec.paths;
  if (!isRecord(paths)) {
    throw new GenerateError('spec has no "paths" object');
  }
  if (countOperations(spec, paths) === 0) {
    throw new GenerateError('spec "paths" holds no operations (get/put/post/delete/options/head/patch/trace)');
  }
  checkRefs(spec);
  return spec as ValidSpec;
}

/** Resolve a path item that is itself a local `$ref` (allowed by OpenAPI). */
export function derefPathItem(spec: unknown, item: unknown): Record<string, unknown> | undefined {
  if (isRecord(item) && typeof item.$ref === 'string' && isLocalRef(item.$ref)) {
    const hit = resolvePointer(spec, item.$ref);
    return hit.found && isRecord(hit.value) ? hit.value : undefined;
  }
  return isRecord(item) ? item : undefined;
}

function countOperations(spec: unknown, paths: Record<string, unknown>): number {
  let count = 0;
  for (const raw of Object.values(paths)) {
    const item = derefPathItem(spec, raw);
    if (!item) continue;
    for (const method of HTTP_METHODS) if (isRecord(item[method])) count++;
  }
  return count;
}

/** Walk the whole document; every string `$ref` must be local and must resolve. */
function checkRefs(spec: Record<string, unknown>): void {
  const stack: Array<{ node: unknown; path: string[]; parentKey: string | undefined }> = [
    { node: spec, path: [], parentKey: undefined },
  ];
  while (stack.length > 0) {
    const { node, path, parentKey } = stack.pop()!;
    if (Array.isArray(node)) {
      node.forEach((child, i) => stack.push({ node: child, path: [...path, String(i)], parentKey: undefined }));
      continue;
    }
    if (!isRecord(node)) continue;
    const inNamedMap = parentKey !== undefined && NAMED_MAPS.has(parentKey);
    const ref = node.$ref;
    if (typeof ref === 'string') {
      const where = path.length > 0 ? path.join('.') : '(root)';
      if (!isLocalRef(ref)) {
        throw new GenerateError(
          `$ref ${JSON.stringify(ref)} at ${where} is not local; the snapshot must be self-contained (bundle external refs into #/components first)`,
        );
      }
      if (!resolvePointer(spec, ref).found) {
        throw new GenerateError(`$ref ${JSON.stringify(ref)} at ${where} does not resolve`);
      }
    }
    for (const [key, child] of Object.entries(node)) {
      if (!inNamedMap && (LITERAL_KEYS.has(key) || key.startsWith('x-'))) continue;
      // `examples` is literal data when it is an array (JSON Schema), Example Objects when a map.
      if (!inNamedMap && key === 'examples' && Array.isArray(child)) continue;
      stack.push({ node: child, path: [...path, key], parentKey: inNamedMap ? undefined : key });
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}
