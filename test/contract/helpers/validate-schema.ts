/**
 * Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) over the whole openapi.json: the document
 * is added once under an `$id`, and each check refers into it by JSON pointer, so `$ref`s to
 * `#/components/schemas/...` resolve exactly as they do in the spec.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { resolveRef } from './spec.js';
import type { OpenApiDocument, SpecOperation } from './spec.js';

// Both are CommonJS whose `module.exports` is the function itself; under NodeNext the types
// see the module object, whose `.default` is that same function at runtime.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const DOCUMENT_ID = 'https://dollr-client.test/openapi.json';

// The document root is compiled as a schema when a `$ref` points into it: its OpenAPI fields
// are declared as (non-validating) keywords so strict mode accepts them.
const OPENAPI_ROOT_FIELDS = [
  'openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs',
];

/** Keywords OpenAPI allows in schemas that are annotations only: `example` and every `x-*`. */
function annotationKeywords(node: unknown, found = new Set<string>(['example'])): Set<string> {
  if (Array.isArray(node)) for (const item of node) annotationKeywords(item, found);
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('x-')) found.add(key);
      annotationKeywords(value, found);
    }
  }
  return found;
}

export interface SchemaCheck {
  valid: boolean;
  /** Ajv's errors, one line each, e.g. `/passcode/token/phone must match pattern "..."`. */
  errors: string[];
}

export function createSchemaValidator(document: OpenApiDocument) {
  // strict: an unknown keyword or format is an error, not silently ignored.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  // OpenAPI's `password` only tells UIs to mask the value; any string is valid.
  ajv.addFormat('password', true);
  ajv.addVocabulary([...OPENAPI_ROOT_FIELDS, ...annotationKeywords(document)]);
  ajv.addSchema(document, DOCUMENT_ID);

  const compiled = new Map<string, ValidateFunction>();
  /** Validates `value` against the schema at `pointer` (`#/...`) in the document. */
  function check(pointer: string, value: unknown): SchemaCheck {
    let validate = compiled.get(pointer);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: DOCUMENT_ID + pointer });
      compiled.set(pointer, validate);
    }
    const valid = validate(value);
    return { valid, errors: (validate.errors ?? []).map(formatError) };
  }

  return {
    check,
    /** The 200 JSON body schema of an operation. */
    response(op: SpecOperation, value: unknown): SchemaCheck {
      const raw = op.operation.responses?.['200'];
      if (raw === undefined) throw new Error(`${op.name} declares no 200 response`);
      const base = '$ref' in raw ? raw.$ref : `${op.pointer}/responses/200`;
      const response = resolveRef(document, raw);
      if (response.content?.['application/json']?.schema === undefined) {
        throw new Error(`${op.name}: the 200 response has no application/json schema`);
      }
      return check(`${base}/content/application~1json/schema`, value);
    },
    /** The JSON request body schema of an operation. */
    requestBody(op: SpecOperation, value: unknown): SchemaCheck {
      const raw = op.operation.requestBody;
      if (raw === undefined) throw new Error(`${op.name} declares no request body`);
      const base = '$ref' in raw ? raw.$ref : `${op.pointer}/requestBody`;
      return check(`${base}/content/application~1json/schema`, value);
    },
  };
}

function formatError(error: ErrorObject): string {
  return `${error.instancePath || '(root)'} ${error.message ?? error.keyword}${
    error.keyword === 'additionalProperties' ? `: ${String(error.params.additionalProperty)}` : ''
  }`;
}
