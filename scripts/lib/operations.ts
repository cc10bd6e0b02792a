import { HTTP_METHODS } from './validate-spec.js';
import type { ValidSpec } from './validate-spec.js';
import { isRecord } from './errors.js';

/** One row of src/generated/operations.ts: facts read off the spec, nothing decided. */
export interface OperationRow {
  method: string;
  path: string;
  operationId: string;
  tag: string;
  /** True when the operation carries `x-reconstructed` (not verbatim from Dollr's document). */
  reconstructed: boolean;
}

/** Every operation in document order (paths as written, methods in HTTP_METHODS order). */
export function listOperations(spec: ValidSpec): OperationRow[] {
  const rows: OperationRow[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    if (!isRecord(item)) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const tags = Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [];
      rows.push({
        method: method.toUpperCase(),
        path,
        operationId: typeof op.operationId === 'string' ? op.operationId : `${method} ${path}`,
        tag: tags[0] ?? 'default',
        reconstructed: op['x-reconstructed'] !== undefined,
      });
    }
  }
  return rows;
}

/**
 * The generated operation table. Derived data only (method, path template, operationId,
 * tag), in document order, so two runs give identical bytes. The policy module
 * (src/core/policy.ts) assigns behaviour to these keys by hand; a test holds the two equal.
 */
export function renderOperations(rows: readonly OperationRow[]): string {
  const lines = rows.map(
    (r) =>
      `  { method: ${JSON.stringify(r.method)}, path: ${JSON.stringify(r.path)}, operationId: ${JSON.stringify(r.operationId)}, tag: ${JSON.stringify(r.tag)} },`,
  );
  return [
    '/** Every operation in openapi.json, in document order. */',
    'export const operations = [',
    ...lines,
    '] as const;',
    '',
    'export type Operation = (typeof operations)[number];',
    '',
    '/** `METHOD /{version}/path`: the key the policy table uses. */',
    'type KeyOf<O> = O extends { method: infer M extends string; path: infer P extends string } ? `${M} ${P}` : never;',
    'export type OperationKey = KeyOf<Operation>;',
    '',
  ].join('\n');
}
