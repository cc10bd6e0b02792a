/**
 * Public types. Everything here is derived from the generated `paths` by URL and method,
 * never from generated schema names: those change between spec versions, paths do not.
 */
import type { paths, components } from '../generated/schema.js';

export type { paths, components };

/** The only API version the spec allows; it is the literal first URL segment. */
export type ApiVersion = 'v1';

/** HTTP methods as openapi-fetch names them; the helpers below accept `'POST'` as well. */
export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
type MethodOf<M extends string> = Lowercase<M> & HttpMethod;

/** Client paths (`/v1/...`) that have an operation for `M`. */
export type PathsFor<M extends string> = {
  [P in keyof DollrPaths]: DollrPaths[P] extends Record<MethodOf<M>, infer Op> ? ([Op] extends [undefined | never] ? never : P) : never;
}[keyof DollrPaths];

/** The operation object of `M P`, e.g. `Operation<'post', '/v1/sessions/payout'>`. */
export type Operation<M extends string, P extends PathsFor<M>> = DollrPaths[P][MethodOf<M> & keyof DollrPaths[P]];

type JsonOf<T> = T extends { content: { 'application/json': infer Json } } ? Json : never;

// Internal: what the exported helpers below read from an operation object.
type BodyOf<Op> = Op extends { requestBody?: infer Body } ? JsonOf<NonNullable<Body>> : never;
type OkOf<Op> = Op extends { responses: { 200: infer Ok } } ? JsonOf<Ok> : never;
type PathOf<Op> = Op extends { parameters: { path?: infer Path } } ? NonNullable<Path> : never;
type QueryOf<Op> = Op extends { parameters: { query?: infer Query } } ? NonNullable<Query> : never;

/** JSON request body of an operation: `RequestBody<'post', '/v1/sessions/payout'>`; `never` when it takes none. */
export type RequestBody<M extends string, P extends PathsFor<M>> = BodyOf<Operation<M, P>>;
/** JSON body of an operation's 200 answer: `ResponseData<'get', '/v1/status/payout/{reference_id}'>`. */
export type ResponseData<M extends string, P extends PathsFor<M>> = OkOf<Operation<M, P>>;
/** Path parameters of an operation, without the bound `version`: `PathParams<'get', '/v1/status/payout/{reference_id}'>`. */
export type PathParams<M extends string, P extends PathsFor<M>> = PathOf<Operation<M, P>>;
/** Query parameters of an operation: `QueryParams<'post', '/v1/payment-accounts/create'>`. */
export type QueryParams<M extends string, P extends PathsFor<M>> = QueryOf<Operation<M, P>>;

/** Request body of `POST /v1/executions/payout`. */
export type PayoutRequest = RequestBody<'post', '/v1/executions/payout'>;
/**
 * What every execution and every status lookup returns, exactly as the spec declares it
 * (`status` is a plain `string` there). The helpers return {@link Execution} instead.
 */
export type ExecutionResponse = ResponseData<'post', '/v1/executions/payout'>;

/** The four kinds of money movement; each has a session, an execution and a status endpoint. */
export type ExecutionKind = 'collection' | 'payout' | 'transfer' | 'refund';

/**
 * Where an execution stands: `PENDING` -> `PROCESSING` -> `COMPLETED` | `FAILED`.
 * `PROCESSING` can last minutes (mobile money) and is not a failure.
 */
export type ExecutionStatus = 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

/**
 * An execution as `execute`, `payout`, `getExecution` and `waitForExecution` return it: the
 * spec's `ExecutionResponse` with `status` typed, so a misspelled status does not compile.
 * A status outside the four at run time is passed through as is, logged at warn, and treated
 * as not final.
 */
export interface Execution extends Omit<ExecutionResponse, 'status'> {
  /** One of the four statuses; see {@link ExecutionStatus}. */
  status: ExecutionStatus;
}
/** `passcode` of a payout request: the merchant passcode plus the device it is sent from. */
export type Passcode = PayoutRequest['passcode'];
/** `passcode.device` of a payout request. */
export type Device = Passcode['device'];

/** One item of a FastAPI 422 body (`detail[]`), as the spec declares it. */
export type RawValidationIssue = components['schemas']['ValidationError'];

/** A 422 issue, normalized: `path` joins FastAPI's `loc`, e.g. `body.passcode.token.phone`. */
export interface ValidationIssue {
  /** Where the problem is: FastAPI's `loc` joined with dots, e.g. `body.passcode.token.phone`. */
  path: string;
  /** FastAPI's `msg`, e.g. `String should have at most 15 characters`. */
  message: string;
  /** FastAPI's error type, e.g. `string_too_long`. */
  type: string;
}

// ---- Version binding -------------------------------------------------------------------
// The spec models the version as a `{version}` path parameter whose only value is `v1`.
// We rewrite the path keys to `/v1/...` and drop `version` from path params, so callers
// write the real URL and openapi-fetch substitutes nothing at runtime.

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type BindUrl<P> = P extends `/{version}${infer Rest}` ? `/${ApiVersion}${Rest}` : P;

type PathParamsOf<Params> = 'path' extends keyof Params ? NonNullable<Params['path']> : never;

/** Path params left once `version` is bound; `never` when none remain. */
type RemainingPathParams<Params> = [PathParamsOf<Params>] extends [never]
  ? never
  : [Exclude<keyof PathParamsOf<Params>, 'version'>] extends [never]
    ? never
    : Omit<PathParamsOf<Params>, 'version'>;

/** `parameters` with `version` removed; `path?: never` when no path params remain. */
type BindParameters<Params> = Params extends object
  ? Simplify<
      { [K in keyof Params as K extends 'path' ? never : K]: Params[K] } & ([RemainingPathParams<Params>] extends [
        never,
      ]
        ? { path?: never }
        : { path: RemainingPathParams<Params> })
    >
  : Params;

type BindOperation<Op> = Op extends { parameters: unknown }
  ? { [K in keyof Op]: K extends 'parameters' ? BindParameters<Op[K]> : Op[K] }
  : Op;

type BindPathItem<Item> = {
  [K in keyof Item]: K extends 'parameters' ? BindParameters<Item[K]> : BindOperation<Item[K]>;
};

/** The generated `paths` with the API version bound: `/{version}/x` becomes `/v1/x`. */
export type BoundPaths<P = paths> = {
  [K in keyof P as BindUrl<K>]: BindPathItem<P[K]>;
};

/** `paths` of this client: what `client.GET/POST/...` accept. */
export type DollrPaths = BoundPaths<paths>;
