/**
 * Fault paths against the served spec: what a path given to inject() may be (a template, a
 * concrete path, `*` for one segment) and whether it names an operation, decided segment by
 * segment with the spec's own parameters, never by guessing. A refusal names the closest
 * templates by edit distance, in the `/v1/...` form users write.
 */
import type { Operation } from './spec.js';

const PARAM = /^\{[^/{}]+\}$/;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const segmentsOf = (path: string): string[] => (path.length > 1 ? path.replace(/\/$/, '') : path).split('/').slice(1);

/** The RegExp a request path is tested with: `{param}` and `*` match one segment. */
export function pathMatcher(path: string): RegExp {
  const pattern = segmentsOf(path).map((s) => (s === '*' || PARAM.test(s) ? '[^/]+' : escape(s)));
  return new RegExp(`^/${pattern.join('/')}/?$`);
}

/** True when some operation has this path: same segment count, and every segment fits. */
export function resolvesToOperation(operations: readonly Operation[], path: string): boolean {
  const given = segmentsOf(path);
  return operations.some((op) => {
    const own = segmentsOf(op.template);
    return own.length === given.length && own.every((segment, i) => fits(op, segment, given[i]!));
  });
}

/** The values a path parameter's schema allows (`const` or `enum`), or undefined when any. */
function allowedValues(op: Operation, segment: string): unknown[] | undefined {
  const schema = op.parameters.find((p) => p.in === 'path' && `{${p.name}}` === segment)?.schema;
  if (schema && 'const' in schema) return [schema.const];
  return Array.isArray(schema?.enum) ? schema.enum : undefined;
}

function fits(op: Operation, segment: string, given: string): boolean {
  if (given === '*') return true;
  const isParam = PARAM.test(segment);
  if (PARAM.test(given)) return isParam;
  if (!isParam) return segment === given;
  if (given === '') return false;
  const allowed = allowedValues(op, segment);
  return allowed === undefined || allowed.includes(given);
}

/** The template as users write it: the version parameter filled with its only (first) value. */
export function versionedTemplate(op: Operation): string {
  return segmentsOf(op.template)
    .map((segment) => {
      const allowed = allowedValues(op, segment);
      return allowed !== undefined && allowed.length > 0 ? String(allowed[0]) : segment;
    })
    .reduce((path, segment) => `${path}/${segment}`, '');
}

/** Paths a RegExp given to inject() is tried on: the raw and versioned templates and a concrete path. */
export function operationExamples(op: Operation): string[] {
  const versioned = versionedTemplate(op);
  const concrete = versioned.replace(/\{([^/{}]+)\}/g, (_, name: string) =>
    name.includes('reference') ? '550e8400-e29b-41d4-a716-446655440000' : '1',
  );
  return [op.template, versioned, concrete];
}

/** Up to three `METHOD /v1/...` templates nearest to `given` (those of `method` first when given). */
export function closestTemplates(operations: readonly Operation[], given: string, method?: string): string[] {
  const pool = operations.filter((op) => method === undefined || op.method === method);
  const text = given.slice(0, 256).toLowerCase();
  return (pool.length > 0 ? pool : operations)
    .map((op) => ({ name: `${op.method} ${versionedTemplate(op)}`, distance: editDistance(text, versionedTemplate(op).toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map((candidate) => candidate.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
