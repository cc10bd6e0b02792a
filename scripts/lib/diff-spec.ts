import { isRecord } from './errors.js';
import { isLocalRef, resolvePointer } from './json-pointer.js';
import { HTTP_METHODS, derefPathItem } from './validate-spec.js';

/**
 * Compare two specs operation by operation, and inside operations field by field, so
 * a regenerate tells the reviewer what the API change means for client code.
 * The previous spec may be anything (a hand-broken file), so nothing here throws.
 */

type Side = 'request' | 'response';

interface Field {
  side: Side;
  label: string;
  type: string;
  required: boolean;
  /** Key of the enclosing field, so a removed object does not also list its children. */
  parent: string | undefined;
}

type Fields = Map<string, Field>;

export type FieldChange =
  | { kind: 'added' | 'removed'; field: Field; breaking: boolean }
  | { kind: 'retyped'; field: Field; from: string; breaking: boolean }
  | { kind: 'required' | 'optional'; field: Field; breaking: boolean };

export interface SpecDiff {
  firstSnapshot: boolean;
  added: string[];
  removed: string[];
  changed: Array<{ operation: string; changes: FieldChange[] }>;
}

export function diffSpecs(previous: unknown, next: unknown): SpecDiff {
  const after = operationsOf(next);
  if (previous === undefined) {
    return { firstSnapshot: true, added: [...after.keys()], removed: [], changed: [] };
  }
  const before = operationsOf(previous);
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed: SpecDiff['changed'] = [];
  for (const [key, op] of after) {
    const old = before.get(key);
    if (old === undefined) continue;
    const changes = diffFields(fieldsOf(previous, old), fieldsOf(next, op));
    if (changes.length > 0) changed.push({ operation: key, changes });
  }
  return { firstSnapshot: false, added, removed, changed };
}

export function formatSummary(diff: SpecDiff): string[] {
  if (diff.firstSnapshot) {
    return [`first snapshot (no previous openapi.json): ${plural(diff.added.length, 'operation')}`, ...diff.added.map((op) => `+ ${op}`)];
  }
  if (diff.added.length + diff.removed.length + diff.changed.length === 0) {
    return ['(none)'];
  }
  const mark = (breaking: boolean): string => (breaking ? '  BREAKING' : '');
  const lines = [
    ...diff.added.map((op) => `+ ${op}`),
    ...diff.removed.map((op) => `- ${op}${mark(true)}`),
  ];
  for (const { operation, changes } of diff.changed) {
    lines.push(`~ ${operation}`);
    for (const c of changes) lines.push(`    ${describeChange(c)}${mark(c.breaking)}`);
  }
  const breaking = diff.removed.length + diff.changed.reduce((n, c) => n + c.changes.filter((x) => x.breaking).length, 0);
  lines.push(
    `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed; ${plural(breaking, 'breaking change')}`,
  );
  return lines;
}

function describeChange(c: FieldChange): string {
  const f = c.field;
  switch (c.kind) {
    case 'added':
      return `+ ${f.label} (${f.type}${f.side === 'request' ? (f.required ? ', required' : ', optional') : ''})`;
    case 'removed':
      return `- ${f.label}`;
    case 'retyped':
      return `~ ${f.label} retyped ${c.from} -> ${f.type}`;
    case 'required':
      return `! ${f.label} made required`;
    case 'optional':
      return `! ${f.label} made optional`;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// Breaking means "code compiled against the old types may now fail": clients must
// send what is newly required and must not rely on what is no longer returned.
function diffFields(before: Fields, after: Fields): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [key, field] of after) {
    const old = before.get(key);
    if (old === undefined) {
      // A new object lists once; its children are implied.
      if (field.parent !== undefined && !before.has(field.parent)) continue;
      changes.push({ kind: 'added', field, breaking: field.side === 'request' && field.required });
      continue;
    }
    if (old.type !== field.type) changes.push({ kind: 'retyped', field, from: old.type, breaking: true });
    if (!old.required && field.required) {
      changes.push({ kind: 'required', field, breaking: field.side === 'request' });
    } else if (old.required && !field.required) {
      changes.push({ kind: 'optional', field, breaking: field.side === 'response' });
    }
  }
  for (const [key, field] of before) {
    if (after.has(key)) continue;
    if (field.parent !== undefined && !after.has(field.parent)) continue;
    changes.push({ kind: 'removed', field, breaking: true });
  }
  return changes;
}

/** `METHOD /path` -> operation object, in a stable path-then-method order. */
function operationsOf(spec: unknown): Map<string, Record<string, unknown>> {
  const ops = new Map<string, Record<string, unknown>>();
  const paths = isRecord(spec) ? spec.paths : undefined;
  if (!isRecord(paths)) return ops;
  for (const [path, raw] of Object.entries(paths)) {
    const item = derefPathItem(spec, raw);
    if (!item) continue;
    for (const method of HTTP_METHODS) {
      const op = deref(spec, item[method]);
      if (op) ops.set(`${method.toUpperCase()} ${path}`, withPathParams(spec, item, op));
    }
  }
  return ops;
}

// Path-item parameters apply to every operation unless the operation overrides them.
function withPathParams(spec: unknown, item: Record<string, unknown>, op: Record<string, unknown>): Record<string, unknown> {
  const shared = asArray(item.parameters);
  const own = asArray(op.parameters);
  const byKey = new Map<string, unknown>();
  for (const p of [...shared, ...own]) {
    const param = deref(spec, p);
    if (param && typeof param.name === 'string') byKey.set(`${String(param.in)}:${param.name}`, param);
  }
  return { ...op, parameters: [...byKey.values()] };
}

function fieldsOf(spec: unknown, op: Record<string, unknown>): Fields {
  const fields: Fields = new Map();
  for (const raw of asArray(op.parameters)) {
    const param = deref(spec, raw);
    if (!param || typeof param.name !== 'string') continue;
    const where = String(param.in);
    const key = `request param ${where} ${param.name}`;
    fields.set(key, {
      side: 'request',
      label: `${where} parameter ${param.name}`,
      type: typeOf(spec, param.schema, new Set()),
      // Path parameters are always required, whatever the document says.
      required: where === 'path' || param.required === true,
      parent: undefined,
    });
  }
  const body = deref(spec, op.requestBody);
  if (body) {
    walk(spec, mediaSchema(spec, body), {
      fields,
      side: 'request',
      keyPrefix: 'request body',
      labelPrefix: 'request',
      path: '',
      required: body.required === true,
      parent: undefined,
      stack: new Set(),
    });
  }
  const responses = deref(spec, op.responses);
  for (const [status, raw] of Object.entries(responses ?? {})) {
    const response = deref(spec, raw);
    if (!response) continue;
    walk(spec, mediaSchema(spec, response), {
      fields,
      side: 'response',
      keyPrefix: `response ${status}`,
      labelPrefix: `response ${status}`,
      path: '',
      required: true,
      parent: undefined,
      stack: new Set(),
    });
  }
  return fields;
}

/** The JSON schema of a request body / response: application/json first, then any *json, then the first. */
function mediaSchema(spec: unknown, holder: Record<string, unknown>): unknown {
  const content = deref(spec, holder.content);
  if (!content) return undefined;
  const types = Object.keys(content);
  const chosen = types.find((t) => t === 'application/json') ?? types.find((t) => /json/i.test(t)) ?? types[0];
  const media = chosen === undefined ? undefined : deref(spec, content[chosen]);
  return media?.schema;
}

interface WalkState {
  fields: Fields;
  side: Side;
  keyPrefix: string;
  labelPrefix: string;
  /** Dotted field path so far; '' is the body itself. */
  path: string;
  required: boolean;
  parent: string | undefined;
  /** Refs being expanded on this branch: recursive schemas stop instead of looping. */
  stack: Set<string>;
}

const MAX_DEPTH = 16;

function walk(spec: unknown, schema: unknown, state: WalkState): void {
  const key = `${state.keyPrefix} ${state.path}`;
  const label = state.path === '' ? `${state.labelPrefix} body` : `${state.labelPrefix} field ${state.path}`;
  state.fields.set(key, {
    side: state.side,
    label,
    type: typeOf(spec, schema, new Set()),
    required: state.required,
    parent: state.parent,
  });
  if (state.path.split('.').length > MAX_DEPTH) return;
  const { node, refs } = derefChain(spec, schema);
  if (!node || refs.some((r) => state.stack.has(r))) return;
  const stack = new Set([...state.stack, ...refs]);
  for (const [name, prop] of propertiesOf(spec, node, stack)) {
    const path = state.path === '' ? name : `${state.path}.${name}`;
    walk(spec, prop.schema, { ...state, path, required: prop.required, parent: key, stack });
  }
  // Array items are walked as `field[].child`; the array's own type already covers the item type.
  const items = arrayItems(spec, node);
  if (items !== undefined) {
    const { node: item, refs: itemRefs } = derefChain(spec, items);
    if (!item || itemRefs.some((r) => stack.has(r))) return;
    const itemStack = new Set([...stack, ...itemRefs]);
    const base = state.path === '' ? '[]' : `${state.path}[]`;
    for (const [name, prop] of propertiesOf(spec, item, itemStack)) {
      walk(spec, prop.schema, { ...state, path: `${base}.${name}`, required: prop.required, parent: key, stack: itemStack });
    }
  }
}

/**
 * Properties of an object schema, merging allOf (all parts apply) and anyOf/oneOf
 * (only one applies, so their properties are never required).
 */
function propertiesOf(spec: unknown, node: Record<string, unknown>, stack: Set<string>): Map<string, { schema: unknown; required: boolean }> {
  const out = new Map<string, { schema: unknown; required: boolean }>();
  const required = new Set(asArray(node.required).filter((r): r is string => typeof r === 'string'));
  if (isRecord(node.properties)) {
    for (const [name, schema] of Object.entries(node.properties)) out.set(name, { schema, required: required.has(name) });
  }
  const merge = (variants: unknown, keepRequired: boolean): void => {
    if (!Array.isArray(variants)) return;
    for (const variant of variants) {
      const { node: part, refs } = derefChain(spec, variant);
      if (!part || refs.some((r) => stack.has(r))) continue;
      for (const [name, prop] of propertiesOf(spec, part, new Set([...stack, ...refs]))) {
        const prior = out.get(name);
        const isRequired = (keepRequired && prop.required) || required.has(name) || (prior?.required ?? false);
        out.set(name, { schema: prior?.schema ?? prop.schema, required: isRequired });
      }
    }
  };
  merge(node.allOf, true);
  merge(node.anyOf, false);
  merge(node.oneOf, false);
  return out;
}

function arrayItems(spec: unknown, node: Record<string, unknown>): unknown {
  if (node.items !== undefined && !Array.isArray(node.items)) return node.items;
  // `anyOf: [array-of-X, null]` is how FastAPI spells an optional list.
  for (const variant of [...asArray(node.anyOf), ...asArray(node.oneOf)]) {
    const part = derefChain(spec, variant).node;
    if (part && part.items !== undefined && !Array.isArray(part.items)) return part.items;
  }
  return undefined;
}

/**
 * A short structural type, e.g. `string`, `integer|number`, `null|string`, `"v1"`,
 * `string[]`. Unions are sorted so reordering anyOf is not reported as a retype.
 */
function typeOf(spec: unknown, schema: unknown, seen: Set<string>): string {
  return [...typeParts(spec, schema, seen)].sort().join('|');
}

function typeParts(spec: unknown, schema: unknown, seen: Set<string>): Set<string> {
  const { node, refs } = derefChain(spec, schema);
  if (!node) return new Set([schema === true || schema === undefined ? 'unknown' : 'never']);
  if (refs.some((r) => seen.has(r))) return new Set(['object']);
  const inner = new Set([...seen, ...refs]);
  const parts = new Set<string>();
  if (node.const !== undefined) parts.add(JSON.stringify(node.const));
  else if (Array.isArray(node.enum)) for (const v of node.enum as unknown[]) parts.add(JSON.stringify(v));
  else {
    const declared: unknown[] = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
    for (const t of declared) {
      if (t === 'array') {
        const items = typeOf(spec, node.items, inner);
        parts.add(items.includes('|') ? `(${items})[]` : `${items}[]`);
      } else {
        parts.add(String(t));
      }
    }
    for (const variant of [...asArray(node.anyOf), ...asArray(node.oneOf)]) {
      for (const t of typeParts(spec, variant, inner)) parts.add(t);
    }
    if (parts.size === 0 && (isRecord(node.properties) || Array.isArray(node.allOf))) parts.add('object');
  }
  if (node.nullable === true) parts.add('null');
  if (parts.size === 0) parts.add('unknown');
  return parts;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** Follow a chain of local refs; returns the target and the refs walked through. */
function derefChain(spec: unknown, value: unknown): { node: Record<string, unknown> | undefined; refs: string[] } {
  const refs: string[] = [];
  let node = value;
  while (isRecord(node) && typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (!isLocalRef(ref) || refs.includes(ref)) return { node: undefined, refs };
    refs.push(ref);
    const hit = resolvePointer(spec, ref);
    node = hit.found ? hit.value : undefined;
  }
  return { node: isRecord(node) ? node : undefined, refs };
}

function deref(spec: unknown, value: unknown): Record<string, unknown> | undefined {
  return derefChain(spec, value).node;
}
