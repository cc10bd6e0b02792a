/**
 * The committed openapi.json as the contract suites read it: the operations in document order,
 * each with the `/v1/...` URL the client is called with.
 */
import { readFileSync } from 'node:fs';
import type { JSONSchema7 } from 'json-schema';

/** A schema as openapi.json writes it (OpenAPI 3.1 = JSON Schema 2020-12 plus `x-*` and `example`). */
export type Schema = JSONSchema7;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface MediaType {
  schema?: Schema;
}

export interface OperationObject {
  operationId?: string;
  tags?: string[];
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> } | { $ref: string };
  responses?: Record<string, { content?: Record<string, MediaType> } | { $ref: string }>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, unknown>;
}

export const SPEC_URL = new URL('../../../openapi.json', import.meta.url);

export function loadSpec(): OpenApiDocument {
  return JSON.parse(readFileSync(SPEC_URL, 'utf8')) as OpenApiDocument;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof METHODS)[number];

export interface SpecOperation {
  /** `POST /v1/sessions/payout`: how the sweep names the operation. */
  name: string;
  method: HttpMethod;
  /** Path template as in the spec, e.g. `/{version}/status/payout/{reference_id}`. */
  template: string;
  /** Template with the version bound, as the client takes it: `/v1/status/payout/{reference_id}`. */
  url: string;
  /** JSON pointer to the operation, e.g. `#/paths/~1{version}~1sessions~1payout/post`. */
  pointer: string;
  operation: OperationObject;
  /** Parameters of the path item and the operation (the operation's win), `$ref`s resolved. */
  parameters: SpecParameter[];
}

export interface SpecParameter extends Parameter {
  /** JSON pointer to the parameter's schema, for validating a sampled value. */
  schemaPointer: string;
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Resolves a local `$ref` (`#/components/...`) against the document. */
export function resolveRef<T>(document: OpenApiDocument, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let hops = 0; isRef(current); hops++) {
    if (hops > 16 || !current.$ref.startsWith('#/')) throw new Error(`Cannot resolve $ref ${current.$ref}`);
    let node: unknown = document;
    for (const raw of current.$ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (node === undefined) throw new Error(`Dangling $ref ${current.$ref}`);
    current = node;
  }
  return current as T;
}

function isRef(value: unknown): value is { $ref: string } {
  return typeof value === 'object' && value !== null && typeof (value as { $ref?: unknown }).$ref === 'string';
}

/** Every operation in document order. The client binds `{version}` to `v1` itself. */
export function listOperations(document: OpenApiDocument): SpecOperation[] {
  const result: SpecOperation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    const itemPointer = `#/paths/${escapePointer(template)}`;
    for (const method of METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (operation === undefined) continue;
      const byKey = new Map<string, SpecParameter>();
      const declared: [string, OperationObject['parameters']][] = [
        [itemPointer, item.parameters as OperationObject['parameters']],
        [`${itemPointer}/${method}`, operation.parameters],
      ];
      for (const [owner, list] of declared) {
        (list ?? []).forEach((raw, index) => {
          const parameter = resolveRef<Parameter>(document, raw);
          const base = '$ref' in raw ? raw.$ref : `${owner}/parameters/${index}`;
          byKey.set(`${parameter.in}:${parameter.name}`, { ...parameter, schemaPointer: `${base}/schema` });
        });
      }
      const url = template.replace(/^\/\{version\}/, '/v1');
      result.push({
        name: `${method.toUpperCase()} ${url}`,
        method,
        template,
        url,
        pointer: `${itemPointer}/${method}`,
        operation,
        parameters: [...byKey.values()],
      });
    }
  }
  return result;
}
