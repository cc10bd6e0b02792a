/**
 * Schema-valid requests built from openapi.json by openapi-sampler, plus the two small
 * adjustments the sampler needs (documented below). The suites validate every sample with
 * Ajv before sending it, so an adjustment that breaks the schema fails the test.
 */
import { sample } from 'openapi-sampler';
import type { Options } from 'openapi-sampler';
import { newReferenceId } from '../../../src/index.js';
import { resolveRef } from './spec.js';
import type { OpenApiDocument, Schema, SpecOperation } from './spec.js';

export interface SampledRequest {
  params: { path: Record<string, unknown>; query: Record<string, unknown>; header: Record<string, unknown> };
  /** The JSON body, or undefined when the operation takes none. */
  body: unknown;
}

// readOnly fields belong to responses; writeOnly ones (client_secret, passcode.code) are sent.
const OPTIONS: Options = { enablePatterns: true, skipReadOnly: true, quiet: true };

/**
 * openapi-sampler's pattern support is a regex subset without escape classes: `^[1-9]\d{7,14}$`
 * comes out as `1\ddddddd`. Spelling `\d` as the class it means (`[0-9]`, or `0-9` inside a
 * class) lets the sampler produce `10000000`, which matches the original pattern.
 */
export function samplerPattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\' && i + 1 < pattern.length) {
      const next = pattern[++i];
      out += next === 'd' ? (inClass ? '0-9' : '[0-9]') : `\\${next}`;
      continue;
    }
    if (char === '[') inClass = true;
    else if (char === ']') inClass = false;
    out += char;
  }
  return out;
}

/** A copy of the document whose string `pattern`s the sampler can read; `$ref`s still resolve in it. */
function forSampler(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forSampler);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === 'pattern' && typeof value === 'string' ? samplerPattern(value) : forSampler(value),
    ]),
  );
}

// Values the client's own pre-send checks accept (see the override below).
const VALID_PHONE = '231771234567'; // Dollr's documented example: E.164 digits without '+'
const VALID_CLIENT_IP = '203.0.113.10'; // TEST-NET-3

/**
 * The one place where sampled values are replaced. The client refuses, before sending, an
 * execution whose reference_id is not a v4 UUID or whose payout passcode has a phone that is
 * not 8-15 digits or a client_ip that is not an IP; the schema only asks for strings, so the
 * sampler's `"string"` passes the schema but not the client. Keyed on the field, never on
 * the operation, and only where the sample already has the field (a v4 UUID is an equally
 * valid `reference_id` in the non-execution bodies that have one).
 */
export function satisfyClientChecks(body: unknown): unknown {
  if (!isRecord(body)) return body;
  const fixed = structuredClone(body);
  if ('reference_id' in fixed) fixed.reference_id = newReferenceId();
  const passcode = fixed.passcode;
  if (isRecord(passcode)) {
    if (isRecord(passcode.token) && 'phone' in passcode.token) passcode.token.phone = VALID_PHONE;
    if (isRecord(passcode.device) && 'client_ip' in passcode.device) passcode.device.client_ip = VALID_CLIENT_IP;
  }
  return fixed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createSampler(document: OpenApiDocument) {
  const samplerDocument = forSampler(document) as OpenApiDocument;
  // Schemas taken from the original document are rewritten too (inline patterns).
  const sampleSchema = (schema: Schema): unknown => sample(forSampler(schema) as Schema, OPTIONS, samplerDocument);

  /** Every parameter (required or not) and the JSON body, sampled from their schemas. */
  return function sampleRequest(op: SpecOperation): SampledRequest {
    const params: SampledRequest['params'] = { path: {}, query: {}, header: {} };
    for (const parameter of op.parameters) {
      // The client binds the version segment itself (`/v1/...`).
      if (parameter.in === 'path' && parameter.name === 'version') continue;
      if (parameter.in === 'cookie') throw new Error(`${op.name}: cookie parameter ${parameter.name} is not supported by the sweep`);
      if (parameter.schema === undefined) throw new Error(`${op.name}: parameter ${parameter.name} has no schema to sample`);
      const value = sampleSchema(parameter.schema);
      // An optional parameter the sampler leaves null is not sent (a query string has no null).
      if (value === undefined || value === null) {
        if (parameter.required) throw new Error(`${op.name}: sampled no value for required ${parameter.in} ${parameter.name}`);
        continue;
      }
      params[parameter.in][parameter.name] = value;
    }
    const requestBody = op.operation.requestBody && resolveRef(document, op.operation.requestBody);
    let body: unknown;
    if (requestBody?.content !== undefined) {
      const schema = requestBody.content['application/json']?.schema;
      if (schema === undefined) throw new Error(`${op.name}: only JSON request bodies are supported by the sweep`);
      body = satisfyClientChecks(sampleSchema(schema));
    }
    return { params, body };
  };
}
