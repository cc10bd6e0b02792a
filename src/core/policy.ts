/**
 * The one table of per-operation rules: what the request path must know about each
 * operation in openapi.json. The transport, the execution guard and error redaction read it;
 * nothing else tests URLs. Its keys are typed from the generated operation table, so a spec
 * that gains or loses an operation does not compile until this file says what it is: a row
 * in POLICY, or a place in ONCE_OPERATIONS (the default, so it needs no row at run time).
 * An operation it does not know (a path outside the spec) gets the safe default: never
 * repeated once it may have been processed.
 */
import type { OperationKey } from '../generated/operations.js';
import { valuesAt } from './redact.js';
import type { ExecutionKind } from './types.js';

/**
 * - `safe`: no effect, or the same effect however often it is sent (reads, the token
 *   exchange): repeated after any transient failure.
 * - `execution`: moves money; idempotent by `reference_id` and reconciled through `status`
 *   (Dollr's rule: on an unknown outcome, look the status up before sending again).
 * - `once`: creates or changes something; repeated only when it provably was not processed
 *   (connection refused, DNS failure, 429).
 */
export type Repeat = 'safe' | 'execution' | 'once';

export interface OperationPolicy {
  readonly repeat: Repeat;
  /** Executions: the status lookup, `{reference_id}` filled from the body. */
  readonly status?: string;
  /** Body fields (dotted paths) whose values are secrets: scrubbed from errors, never logged. */
  readonly secrets?: readonly string[];
  /** The body must carry a complete passcode; checked locally before anything is sent. */
  readonly passcode?: boolean;
  /** Sent without a bearer token (the token exchange itself). */
  readonly anonymous?: boolean;
}

/** `POST /{version}/x` as the caller writes it: `POST /v1/x`. */
type Bound<K> = K extends `${infer M} /{version}${infer Rest}` ? `${M} /v1${Rest}` : never;
export type PolicyKey = Bound<OperationKey>;

export const TOKEN_PATH = '/v1/jwt/client/obtain/token';

/** The four kinds, as in `/v1/executions/{kind}`: the one runtime list (the helpers, the sandbox and the batch runner use it too). */
export const EXECUTION_KINDS: readonly ExecutionKind[] = ['collection', 'payout', 'transfer', 'refund'];

const safe: OperationPolicy = { repeat: 'safe' };
type ExecutionRows = { [K in ExecutionKind as `POST /v1/executions/${K}` | `GET /v1/status/${K}/{reference_id}`]: OperationPolicy };

/**
 * Operations that create or change something: `once`, which is also what an unknown operation
 * gets, so they need no row in POLICY (policyFor answers DEFAULT_POLICY for them). Listed here
 * so that every operation of the spec is decided: the compiler checks that this list and POLICY
 * together cover it, and the policy test reads both. Nothing in the main entry reads it, so it
 * is not bundled.
 */
export const ONCE_OPERATIONS = [
  'POST /v1/sessions/checkout',
  'POST /v1/sessions/payout',
  'POST /v1/sessions/transfer',
  'POST /v1/sessions/refund',
  'POST /v1/payment-accounts/create',
  'POST /v1/parties/create',
  'POST /v1/counterparties/create',
  'PUT /v1/counterparties/update/{id}',
  'POST /v1/invoices/create',
  // A second publish would fail as "already published" and hide that the first one worked.
  'PUT /v1/invoices/publish/{id}',
  'POST /v1/invoices/{invoice_id}/items/add',
  'POST /v1/orders/create',
  'PUT /v1/orders/publish/{id}',
  'POST /v1/orders/{order_id}/items/add',
  'POST /v1/checkouts/create',
] as const satisfies readonly PolicyKey[];

/** The operations that are not `once`: reads and the harmless POSTs (`safe`), and the executions. */
export const POLICY: { readonly [K in Exclude<PolicyKey, (typeof ONCE_OPERATIONS)[number]>]: OperationPolicy } = {
  [`POST ${TOKEN_PATH}`]: { repeat: 'safe', secrets: ['client_secret'], anonymous: true },
  // Each kind: the execution, reconciled through its status lookup (a read).
  ...(Object.fromEntries(
    EXECUTION_KINDS.flatMap((kind) => {
      const status = `/v1/status/${kind}/{reference_id}`;
      return [[`POST /v1/executions/${kind}`, { repeat: 'execution', status }], [`GET ${status}`, safe]];
    }),
  ) as ExecutionRows),
  // A payout also carries the merchant's passcode: a secret, and checked complete before sending.
  'POST /v1/executions/payout': { repeat: 'execution', status: '/v1/status/payout/{reference_id}', secrets: ['passcode.token.code'], passcode: true },
  'GET /v1/status/source': safe,
  'GET /v1/predictions/amount-and-fees': safe,
  'GET /v1/predictions/payment-source/amount-and-fees': safe,
  'GET /v1/predictions/mmo-provider-info': safe,
  'GET /v1/predictions/card-provider-info': safe,
  'GET /v1/fees/gateway': safe,
  'GET /v1/fees/platform': safe,
  'GET /v1/fees/merchant-tier': safe,
  'GET /v1/fees/tiers': safe,
  // A short-lived read key for a checkout UI: a second one costs nothing.
  'POST /v1/realtime-keys/collection': safe,
  'GET /v1/merchants/merchant-info': safe,
  'GET /v1/links/pay': safe,
  'GET /v1/links/receipt': safe,
  'GET /v1/parties/list': safe,
  'GET /v1/parties/retrieve/{id}': safe,
  'GET /v1/counterparties/list': safe,
  'GET /v1/counterparties/retrieve/{id}': safe,
  'GET /v1/invoices/list': safe,
  'GET /v1/invoices/retrieve/{id}': safe,
  'GET /v1/invoices/receipt/{id}': safe,
  'GET /v1/invoices/receipt/number/{invoice_number}': safe,
  'GET /v1/orders/list': safe,
  'GET /v1/orders/retrieve/{id}': safe,
  'GET /v1/orders/receipt/{id}': safe,
  'GET /v1/orders/receipt/number/{order_number}': safe,
};

/** The values of `policy`'s secret fields in a (parsed) request body: the caller's own secrets. */
export function secretsIn(policy: OperationPolicy, body: unknown): string[] {
  return policy.secrets ? valuesAt(body, policy.secrets) : [];
}

/** What an operation outside POLICY gets (the ONCE_OPERATIONS, and any outside the spec): never repeated once it may have been processed. */
export const DEFAULT_POLICY: OperationPolicy = { repeat: 'once' };

/** Exact keys by method, then path (no string built per lookup); templates by method. */
let exact: Map<string, Map<string, OperationPolicy>> | undefined;
const templated: Array<[method: string, pattern: RegExp, policy: OperationPolicy]> = [];

function build(): Map<string, Map<string, OperationPolicy>> {
  exact = new Map();
  for (const [key, policy] of Object.entries(POLICY)) {
    const [method, path] = key.split(' ') as [string, string];
    if (!exact.has(method)) exact.set(method, new Map());
    exact.get(method)!.set(path, policy);
    // Paths in the spec are letters, digits, `-`, `_` and `/`: nothing to escape.
    if (path.includes('{')) templated.push([method, new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`), policy]);
  }
  return exact;
}

/**
 * The policy of `method path`, where `path` is either the template the caller wrote
 * (`/v1/status/payout/{reference_id}`) or a concrete path without query string. Exact keys
 * are one Map lookup; only paths with parameters walk the short list of templates.
 */
export function policyFor(method: string, path: string): OperationPolicy {
  const hit = (exact ?? build()).get(method)?.get(path);
  if (hit) return hit;
  for (const [m, pattern, policy] of templated) if (m === method && pattern.test(path)) return policy;
  return DEFAULT_POLICY;
}
